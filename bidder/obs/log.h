/* log: structured one-line logs on stderr: `ts level msg key=value ...`. Nothing per request by default. */
#ifndef FAIRBID_BIDDER_OBS_LOG_H
#define FAIRBID_BIDDER_OBS_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level l);
/* fmt holds the key=value pairs (printf style); msg is a short fixed phrase. Thread safe (one write(2)). */
void log_msg(enum log_level l, const char *msg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Escapes " \\ and control characters of s into buf so a value can sit inside key="..."; returns buf. */
const char *log_esc(const char *s, char *buf, unsigned long n);

#define log_info(msg, ...) log_msg(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_msg(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_msg(LOG_ERROR, msg, __VA_ARGS__)
#define log_debug(msg, ...) log_msg(LOG_DEBUG, msg, __VA_ARGS__)

#endif
