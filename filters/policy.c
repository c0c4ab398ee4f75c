/* policy: lookups in the compiled policy tables. See policy.h. */
#include "filters/policy.h"

void policy_table_init(struct policy_table *t, struct policy_entry *slots, uint32_t cap)
{
    t->slots = slots;
    t->cap = cap;
    t->n = 0;
    for (uint32_t i = 0; i < cap; i++) slots[i] = (struct policy_entry){0, 0, 0};
}

int policy_table_put(struct policy_table *t, uint64_t key, uint32_t classes, uint32_t flags)
{
    if (!key || !t->cap) return -1;
    uint32_t mask = t->cap - 1;
    for (uint32_t i = (uint32_t)policy_hash(key) & mask;; i = (i + 1) & mask) {
        struct policy_entry *e = &t->slots[i];
        if (e->key == key) {
            e->classes |= classes;
            e->flags |= flags;
            return 0;
        }
        if (e->key == 0) {
            /* keep the load at most 1/2 so probes stay short and a miss always finds an empty slot */
            if ((uint64_t)(t->n + 1) * 2 > t->cap) return -1;
            *e = (struct policy_entry){key, classes, flags};
            t->n++;
            return 0;
        }
    }
}

const struct policy_entry *policy_table_get(const struct policy_table *t, uint64_t key)
{
    if (!key || !t->cap) return NULL;
    uint32_t mask = t->cap - 1;
    for (uint32_t i = (uint32_t)policy_hash(key) & mask;; i = (i + 1) & mask) {
        const struct policy_entry *e = &t->slots[i];
        if (e->key == key) return e;
        if (e->key == 0) return NULL;
    }
}

uint32_t policy_segment_classes(const struct policy *p, int32_t segtax, struct sv id)
{
    if (!p) return 0;
    const struct policy_entry *e = policy_table_get(&p->seg, policy_key(segtax, id));
    return e ? e->classes : 0;
}

uint32_t policy_cat_classes(const struct policy *p, int32_t cattax, struct sv id)
{
    if (!p) return 0;
    const struct policy_entry *e = policy_table_get(&p->cat, policy_key(cattax, id));
    return e ? e->classes : 0;
}

const struct policy_camp_key *policy_camp_find(const struct policy_camp *pc, uint64_t key)
{
    uint32_t lo = 0, hi = pc->nkeys;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pc->keys[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pc->nkeys && pc->keys[lo].key == key ? &pc->keys[lo] : NULL;
}

size_t policy_key_id(uint64_t key, char *buf)
{
    size_t n = 0;
    for (; n < POLICY_ID_MAX; n++) {
        char ch = (char)((key >> (8 * n)) & 0xff);
        if (!ch) break;
        buf[n] = ch;
    }
    buf[n] = '\0';
    return n;
}
