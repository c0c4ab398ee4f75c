/* bench/filter_diff: see run.sh. */
#include <stdio.h>
#include <string.h>
#include "filters/policy.h"
int main(void)
{
    static const char *S[] = {"IAB1",
                              "iab1",
                              "Iab1",
                              " IAB1",
                              "IAB1 ",
                              "1001",
                              "01001",
                              "1001 ",
                              "IAB1-1",
                              "iab1-1",
                              "IAB1_1",
                              "iab1_1",
                              "",
                              "0",
                              "00",
                              "IAB",
                              "iab25-3",
                              "IAB25-3",
                              "abcdefghijklmnopqrstuvwxyzabcdefghij",
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG",
                              "12345678901234567890123456789012",
                              "123456789012345678901234567890123",
                              "IAB\\u0031",
                              "a b",
                              "-",
                              "_",
                              "7",
                              "07",
                              "IAB7-39",
                              "iab7-39 "};
    int N = sizeof S / sizeof *S;
    long cases = 0, diffs = 0;
    struct sv sv[64];
    for (int i = 0; i < N; i++) sv[i] = (struct sv){S[i], strlen(S[i])};
    for (int id = 0; id < N; id++)
        for (int a = -1; a < N; a++)
            for (int b = -1; b < N; b++)
                for (int c = -1; c < N; c++) {
                    struct sv v[3];
                    uint32_t n = 0;
                    if (a >= 0) v[n++] = sv[a];
                    if (b >= 0) v[n++] = sv[b];
                    if (c >= 0) v[n++] = sv[c];
                    bool ref = false;
                    for (uint32_t i = 0; i < n; i++)
                        if (policy_id_eq(v[i], sv[id])) {
                            ref = true;
                            break;
                        }
                    bool got = policy_id_in(v, n, sv[id]);
                    cases++;
                    if (ref != got) diffs++;
                }
    printf("policy_id_in cases %ld diffs %ld\n", cases, diffs);
}
