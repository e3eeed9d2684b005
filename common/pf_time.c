/* pf_time: monotonic milliseconds for every timeout and deadline. */
#include "pf_time.h"

#include <limits.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds: immune to wall-clock steps. */
int64_t pf_time_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Time left until a deadline, in the unit and range poll() takes. */
int pf_time_left_ms(int64_t deadline_ms)
{
    int64_t left;

    if (deadline_ms < 0)
        return -1;
    left = deadline_ms - pf_time_now_ms();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* Absolute deadline for a relative timeout; negative means "never". */
int64_t pf_time_deadline(int timeout_ms)
{
    if (timeout_ms < 0)
        return -1;
    return pf_time_now_ms() + timeout_ms;
}

int pf_time_sooner_ms(int a, int b)
{
    if (a < 0)
        return b < 0 ? -1 : b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

struct timespec pf_time_timespec(int64_t ms)
{
    if (ms < 0)
        ms = 0;
    return (struct timespec){.tv_sec = (time_t)(ms / 1000),
                             .tv_nsec = (long)(ms % 1000) * 1000000L};
}
