/* A shared library of the test fixture: found through the program's $ORIGIN RUNPATH. */
#include <stdio.h>

int uktest_answer(const char *who)
{
    printf("libuktest: hello, %s\n", who);
    return 42;
}
