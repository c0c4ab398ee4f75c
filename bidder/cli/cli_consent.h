/* cli_consent: `fairbid consent ...`, the consent store's command-line writer and checker (hiredis,
 * blocking). The store's contract is docs/consent-store.md; these commands follow it and nothing more, so any
 * other writer doing plain HSET/DEL is equivalent. */
#ifndef FAIRBID_BIDDER_CLI_CONSENT_H
#define FAIRBID_BIDDER_CLI_CONSENT_H

/* argv[0] is "consent", then one of
 *   set USER [optout=0|1] [minor=0|1] [sensitive=a,b]   HSET the given fields and updated_ms
 *   get USER                                            the record as JSON (exit 1 when there is none)
 *   del USER                                            DEL
 *   load FILE|-                                         JSON lines {"user","optout","minor","sensitive"},
 *                                                       each a full record, pipelined
 *   digest [--compare URL] [--wait MS]                  record count and digest of the store; with
 *                                                       --compare, also of a running fairbid's mirror (its
 *                                                       /metrics), exit 0 only when they are equal
 * Options anywhere: --redis URL, --config FILE (its "redis" key); default env FAIRBID_REDIS, else
 * redis://127.0.0.1:6379/0. Returns the exit code: 0 ok, 1 failure/mismatch/not found, 2 usage. */
int cli_consent_main(int argc, char **argv);

#endif
