/* fairness: placeholder until the fairness controller lands. */
#include "bidder/fairness.h"

#include <stdio.h>

int fairness_start(struct event_base *base, const struct config *cfg, int nworkers, char *err, size_t errlen)
{
    (void)base;
    (void)cfg;
    (void)nworkers;
    (void)err;
    (void)errlen;
    return 0;
}

void fairness_stop(void) {}

void fairness_on_reload(const struct config *cfg)
{
    (void)cfg;
}

const struct fair_view *fairness_view(int worker)
{
    (void)worker;
    return NULL;
}

void fairness_after(int worker, const struct config *cfg, const struct engine_result *res)
{
    (void)worker;
    (void)cfg;
    (void)res;
}

int fairness_win(int worker, const char *query, char *body, size_t cap)
{
    (void)worker;
    (void)query;
    snprintf(body, cap, "{\"status\":\"ignored\"}");
    return 200;
}

void fairness_metrics(struct evbuffer *out)
{
    (void)out;
}
