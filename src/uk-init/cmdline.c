#include "cmdline.h"

#include <fcntl.h>
#include <unistd.h>

int cmdline_read(char *text, size_t size)
{
    text[0] = '\0';
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    text[n] = '\0';
    return 0;
}
