/* mirror: placeholder until the consent mirror lands: no store, nothing restricted by it. */
#include "bidder/mirror.h"

int mirror_start(struct event_base *base, const struct config *cfg, char *err, size_t errlen)
{
    (void)base;
    (void)cfg;
    (void)err;
    (void)errlen;
    return 0;
}

void mirror_stop(void) {}

void mirror_on_reload(const struct config *cfg)
{
    (void)cfg;
}

void mirror_view(void *arg, const struct ortb_request *req, struct consent_store_view *view,
                 struct consent_stored *rec)
{
    (void)arg;
    (void)req;
    (void)rec;
    view->trusted = true;
    view->rec = NULL;
}

bool mirror_enabled(void)
{
    return false;
}

bool mirror_ready(void)
{
    return true;
}

const char *mirror_state(void)
{
    return "disabled";
}

void mirror_metrics(struct evbuffer *out)
{
    (void)out;
}
