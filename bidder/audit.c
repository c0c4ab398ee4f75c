/* audit: placeholder until the audit trail lands. */
#include "bidder/audit.h"

int audit_start(struct event_base *base, const struct config *cfg, int nworkers, char *err, size_t errlen)
{
    (void)base;
    (void)cfg;
    (void)nworkers;
    (void)err;
    (void)errlen;
    return 0;
}

void audit_stop(void) {}

void audit_on_reload(const struct config *cfg)
{
    (void)cfg;
}

void audit_after(int worker, const struct config *cfg, const struct engine_result *res)
{
    (void)worker;
    (void)cfg;
    (void)res;
}

void audit_metrics(struct evbuffer *out)
{
    (void)out;
}
