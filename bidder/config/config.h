/* config: the fairbid JSON config file, parsed and validated into an immutable snapshot.
 * One table (config_keys, config.c) drives parsing, defaults, bounds, the reload, `check-config` and the docs
 * in docs/config.md (`fairbid config-doc`). A snapshot owns everything it points to (the file text,
 * campaigns); it is published to the workers through an RCU pointer and freed only after every worker has
 * left its read-side section. */
#ifndef FAIRBID_BIDDER_CONFIG_H
#define FAIRBID_BIDDER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filters/arena.h"
#include "filters/campaign.h"
#include "bidder/config/upstream_config.h"

/* Where the sensitive-category policy of a snapshot comes from (docs/config.md, key `policy`). */
enum config_policy_source {
    CONFIG_POLICY_BUILTIN =
        0,              /* no key, "", null or "builtin": deploy/policy.json, compiled into the binary */
    CONFIG_POLICY_FILE, /* a path, resolved against the config file's directory */
    CONFIG_POLICY_NONE, /* "none": no sensitive-category rules (warned at start, shown in /readyz) */
};

struct config {
    /* settings (see the table in config.c for defaults and bounds) */
    char listen[128];
    int threads;
    char redis[512]; /* empty: no Redis configured */
    char currency[8];
    int tcf_vendor_id;
    char policy[512];  /* as written: "" (built-in), "builtin", "none" or a path */
    int no_bid_status; /* 204, or 200 with {"id","nbr"} */
    int no_bid_nbr;
    int max_body; /* bytes */
    int read_timeout_ms;
    int idle_timeout_ms;
    int write_timeout_ms;
    int max_connections;
    char admin_listen[128];    /* empty: /metrics, /readyz, /healthz on the public listener */
    int max_buffered_bytes;    /* input buffers, all connections */
    int max_output_bytes;      /* queued replies, all connections */
    int max_conn_output_bytes; /* queued replies, one connection */
    char seat[64];
    char win_url[256];
    int consent_stale_ms;
    int consent_mirror_max_records;
    bool tcf_strict;
    int arena_bytes;      /* per-worker request arena */
    char http_server[16]; /* "native" (the only transport; "evhttp" is refused) */
    char log_level[16];
    double audit_sample_rate;
    int audit_maxlen;
    int audit_queue;
    int fairness_sync_ms;
    int lease_min_replicas;
    char unknown_region[16];              /* "strictest" or "none" (docs/jurisdictions.md) */
    int political_consent_custom_purpose; /* TCF publisher custom purpose id; 0 = none */
    int tmax_margin_ms;                   /* filter mode: each upstream gets tmax minus this, at most */
    struct upstream_set upstreams;        /* filter mode (issue 17): bidders fairbid sits in front of */

    struct campaign_set campaigns;
    enum config_policy_source policy_source; /* set by the policy load */
    char policy_file[1100];                  /* the resolved path (source FILE), else "" */
    const uint32_t
        *segments_line; /* per campaign: line of targeting.segments (or of the campaign), messages */

    /* ownership */
    char path[512];
    char *text; /* the file's bytes; campaign strings point here */
    size_t text_len;
    void *mem; /* arena storage for compiled campaigns */
    struct arena arena;
    uint64_t generation; /* set by the publisher */
};

/* ---- the settings table: the only source of truth for the top-level keys ----
 * Each row gives a key's name, type, default, bounds, whether a reload applies it, its doc string and its
 * apply hook. Parsing, defaults, bounds checks and their messages, `check-config --help`, `fairbid
 * config-doc` (docs/config.md) and the reload (config_reload_prepare) all read it. */
enum config_type {
    CONFIG_STRING,
    CONFIG_INT,
    CONFIG_BOOL,
    CONFIG_NUMBER,
    CONFIG_CUSTOM, /* its own reader (no_bid, tcf_mode, first_party_providers, campaigns, ...) */
};

struct config_parser; /* config.c's parse state, for the readers of CONFIG_CUSTOM keys */

struct config_key {
    const char *name;
    enum config_type type;
    size_t off, size; /* the field in struct config (size 0: none, e.g. campaigns) */
    const char *def;  /* default as text; "" = empty string */
    long min, max;    /* CONFIG_INT and CONFIG_NUMBER bounds (inclusive) */
    bool reloadable;  /* false: a reload that changes it logs "needs restart" and keeps the running value */
    const char *doc;  /* one line of markdown for docs/config.md */
    /* A reloadable key that something outside the snapshot holds (the log level, the workers' HTTP timeouts):
     * called once, after the new snapshot is published, when a reload changes it. NULL: every reader takes
     * the value from the current snapshot. */
    void (*apply)(const struct config *now);
    int (*read)(struct config_parser *p, const struct config_key *k); /* CONFIG_CUSTOM */
    const char *type_doc; /* CONFIG_CUSTOM: the type column of the docs ("[string]", "array") */
    bool deprecated;      /* accepted with a warning, has no effect */
};

/* The table, in docs order. */
const struct config_key *config_keys(size_t *n);
const struct config_key *config_key_by_name(const char *name);

/* Campaign keys: their own reader in config.c; listed here for the docs. */
struct config_campaign_key {
    const char *name, *type, *required, *doc;
};
const struct config_campaign_key *config_campaign_keys(size_t *n);

/* A "fairness" object's defaults (docs/fairness.md): both attributes, the four-fifths rule, TVD 0.05, a
 * one-hour window, boost up to 1.5, 200 eligible. A campaign's or an upstream special category's keys
 * override them. */
extern const struct campaign_fairness config_fairness_defaults;

/* The workers' HTTP timeouts live in each worker's HTTP server: the server registers how a reload reaches
 * them (the apply hook of read_timeout_ms, idle_timeout_ms and write_timeout_ms calls it). */
void config_set_http_apply(void (*fn)(const struct config *now));
/* The log level a config asks for (log.h's enum). */
int config_log_level(const struct config *c);

/* Reload: compares the new snapshot with the running one, key by key. A changed key that is not reloadable is
 * logged ("needs restart", naming it) and keeps its running value in next; a changed reloadable key is logged
 * and its apply hook (if any) is stored in hooks (each once). Returns the number of hooks stored. */
size_t config_reload_prepare(const struct config *cur, struct config *next,
                             void (**hooks)(const struct config *), size_t max_hooks);

/* Writes the generated markdown (the settings and campaign tables, each between its marker comments) for
 * docs/config.md. */
void config_doc_write(void *file);
/* Replaces the generated blocks of the markdown text doc (len bytes) with config_doc_write's: the result is
 * malloc'd (NUL-terminated) in *out. Returns 0, or -1 when a marker is missing. */
int config_doc_update(const char *doc, size_t len, char **out);

/* Command-line overrides applied after the file (NULL/0 = keep). */
struct config_overrides {
    const char *listen;
    int threads;
    const char *redis;
    const char *http_server;
};

/* Reads path, parses it and loads its policy (config_parse, then config_load_policy). On error returns NULL
 * and writes "FILE:LINE: campaign "c1": key "bid_cpm": ..." into err. The result is owned by the caller:
 * config_free. */
struct config *config_load(const char *path, const struct config_overrides *ov, char *err, size_t errlen);
/* Parses and validates a buffer into a snapshot; `name` is used in messages and to resolve a relative policy
 * path later. Pure: reads no file (the policy is not loaded yet: c->campaigns.policy is NULL until
 * config_load_policy). */
struct config *config_parse(const char *name, const char *text, size_t len, const struct config_overrides *ov,
                            char *err, size_t errlen);
/* The load step after parsing: reads and compiles the policy the config names (bidder/config/policy_load.c,
 * with its jurisdictions: bidder/config/juris_load.c) and checks the campaigns against it. Returns 0, or -1
 * with err. */
int config_load_policy(struct config *c, char *err, size_t errlen);
/* config_parse + config_load_policy: a buffer as `serve` would load it (tests, benchmarks). */
struct config *config_parse_load(const char *name, const char *text, size_t len,
                                 const struct config_overrides *ov, char *err, size_t errlen);
void config_free(struct config *c);
/* "builtin", "file" or "none": the label of fairbid_policy_info and /readyz. */
const char *config_policy_source_name(enum config_policy_source s);
/* The protections a snapshot without a policy does not apply, as a JSON array of reason names
 * ("[]" when a policy is loaded). */
const char *config_protections_off_json(const struct config *c);
/* Prints the settings table (name, type, default, reloadable, help) for --help and docs. */
void config_print_table(void *file);

#endif
