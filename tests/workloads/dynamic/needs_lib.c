/* A dynamically linked test program whose library lives beside it, in $ORIGIN/lib, and
 * whose exit status comes from that library (42). */
#include <stdio.h>

int uktest_answer(const char *who);

int main(int argc, char **argv)
{
    int status = uktest_answer(argc > 1 ? argv[1] : "world");
    fflush(stdout);
    return status;
}
