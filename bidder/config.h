/* config: the fairbid JSON config file, parsed and validated into an immutable snapshot.
 * One table (config.c) drives parsing, defaults, bounds, `check-config` and the docs in docs/config.md.
 * A snapshot owns everything it points to (the file text, campaigns); it is published to the workers through
 * an RCU pointer and freed only after every worker has left its read-side section. */
#ifndef FAIRBID_BIDDER_CONFIG_H
#define FAIRBID_BIDDER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filters/arena.h"
#include "filters/campaign.h"

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
    char http_server[16]; /* "native" or "evhttp" */
    char log_level[16];
    char instance_id[128];
    double audit_sample_rate;
    int audit_maxlen;
    int audit_queue;
    int fairness_sync_ms;
    int lease_min_replicas;
    char unknown_region[16];              /* "strictest" or "none" (docs/jurisdictions.md) */
    int political_consent_custom_purpose; /* TCF publisher custom purpose id; 0 = none */

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

/* Command-line overrides applied after the file (NULL/0 = keep). */
struct config_overrides {
    const char *listen;
    int threads;
    const char *redis;
    const char *http_server;
};

/* Loads and validates path. On error returns NULL and writes "FILE:LINE: campaign "c1": key "bid_cpm": ..."
 * into err. The result is owned by the caller: config_free. */
struct config *config_load(const char *path, const struct config_overrides *ov, char *err, size_t errlen);
/* Same, from a buffer (tests); `name` is used in messages. */
struct config *config_parse(const char *name, const char *text, size_t len, const struct config_overrides *ov,
                            char *err, size_t errlen);
void config_free(struct config *c);
/* "builtin", "file" or "none": the label of fairbid_policy_info and /readyz. */
const char *config_policy_source_name(enum config_policy_source s);
/* The protections a snapshot without a policy does not apply, as a JSON array of reason names
 * ("[]" when a policy is loaded). */
const char *config_protections_off_json(const struct config *c);
/* Prints the settings table (name, type, default, reloadable, help) for --help and docs. */
void config_print_table(void *file);

#endif
