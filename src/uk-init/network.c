#include "cmdline.h"
#include "console.h"
#include "network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEVICE "eth0"
#define RESOLV_CONF "/run/resolv.conf"

struct net_config {
    char ip[64];
    char ip6[64];
    char gateway[64];
    char dns[256];
};

static void copy_value(const char *word, const char *key, char *out, size_t size)
{
    size_t n = strlen(key);
    if (strncmp(word, key, n) == 0)
        snprintf(out, size, "%s", word + n);
}

static void read_cmdline(struct net_config *config)
{
    char text[4096];
    memset(config, 0, sizeof *config);
    if (cmdline_read(text, sizeof text) < 0)
        return;
    char *saveptr = NULL;
    for (char *word = strtok_r(text, " \n", &saveptr); word; word = strtok_r(NULL, " \n", &saveptr)) {
        copy_value(word, "uk.ip=", config->ip, sizeof config->ip);
        copy_value(word, "uk.ip6=", config->ip6, sizeof config->ip6);
        copy_value(word, "uk.gw=", config->gateway, sizeof config->gateway);
        copy_value(word, "uk.dns=", config->dns, sizeof config->dns);
    }
}

static int set_address(int s, unsigned long request, const char *text)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, DEVICE);
    struct sockaddr_in *address = (struct sockaddr_in *)&ifr.ifr_addr;
    address->sin_family = AF_INET;
    if (inet_pton(AF_INET, text, &address->sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    return ioctl(s, request, &ifr);
}

static int configure_eth0(const struct net_config *config, char *error, size_t size)
{
    char address[64], netmask[INET_ADDRSTRLEN];
    snprintf(address, sizeof address, "%s", config->ip);
    char *slash = strchr(address, '/');
    int prefix = slash ? atoi(slash + 1) : 24;
    if (slash)
        *slash = '\0';
    if (prefix < 0 || prefix > 32) {
        errno = EINVAL;
        return failed(error, size, "bad prefix length in uk.ip=%s", config->ip);
    }
    struct in_addr mask = {htonl(prefix ? ~0u << (32 - prefix) : 0)};
    inet_ntop(AF_INET, &mask, netmask, sizeof netmask);

    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return failed(error, size, "cannot open a socket to configure " DEVICE);
    int result = 0;
    struct ifreq flags;
    memset(&flags, 0, sizeof flags);
    snprintf(flags.ifr_name, sizeof flags.ifr_name, DEVICE);
    if (set_address(s, SIOCSIFADDR, address) < 0)
        result = failed(error, size, "cannot give " DEVICE " the address %s (is there a network device?)", address);
    else if (set_address(s, SIOCSIFNETMASK, netmask) < 0)
        result = failed(error, size, "cannot set the netmask of " DEVICE " to %s", netmask);
    else if (ioctl(s, SIOCGIFFLAGS, &flags) < 0 || (flags.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(s, SIOCSIFFLAGS, &flags) < 0))
        result = failed(error, size, "cannot bring " DEVICE " up");
    else if (config->gateway[0]) {
        struct rtentry route;
        memset(&route, 0, sizeof route);
        struct sockaddr_in *dst = (struct sockaddr_in *)&route.rt_dst;
        struct sockaddr_in *gateway = (struct sockaddr_in *)&route.rt_gateway;
        struct sockaddr_in *genmask = (struct sockaddr_in *)&route.rt_genmask;
        dst->sin_family = gateway->sin_family = genmask->sin_family = AF_INET;
        route.rt_flags = RTF_UP | RTF_GATEWAY;
        route.rt_dev = DEVICE;
        if (inet_pton(AF_INET, config->gateway, &gateway->sin_addr) != 1) {
            errno = EINVAL;
            result = failed(error, size, "uk.gw=%s is not an IPv4 address", config->gateway);
        } else if (ioctl(s, SIOCADDRT, &route) < 0) {
            result = failed(error, size, "cannot add the default route via %s", config->gateway);
        }
    }
    close(s);
    return result;
}

static int bring_up(char *error, size_t size)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq flags;
    memset(&flags, 0, sizeof flags);
    snprintf(flags.ifr_name, sizeof flags.ifr_name, DEVICE);
    int result = 0;
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &flags) < 0 ||
        (flags.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(s, SIOCSIFFLAGS, &flags) < 0))
        result = failed(error, size, "cannot bring " DEVICE " up");
    if (s >= 0)
        close(s);
    return result;
}

/* The kernel's struct in6_ifreq (linux/ipv6.h, which musl's headers leave out). */
struct address6_request {
    struct in6_addr address;
    uint32_t prefix_length;
    int interface_index;
};

/* A static IPv6 address, usable at once: duplicate address detection would keep it
 * "tentative", unusable for bind(), for a second or more. */
static int configure_ipv6(const struct net_config *config, char *error, size_t size)
{
    char address[64];
    snprintf(address, sizeof address, "%s", config->ip6);
    char *slash = strchr(address, '/');
    int prefix = slash ? atoi(slash + 1) : 64;
    if (slash)
        *slash = '\0';
    struct address6_request request;
    memset(&request, 0, sizeof request);
    if (inet_pton(AF_INET6, address, &request.address) != 1 || prefix < 0 || prefix > 128) {
        errno = EINVAL;
        return failed(error, size, "uk.ip6=%s is not an IPv6 address with a prefix length", config->ip6);
    }
    request.prefix_length = (uint32_t)prefix;
    request.interface_index = (int)if_nametoindex(DEVICE);
    if (request.interface_index == 0)
        return failed(error, size, "cannot give " DEVICE " the address %s (is there a network device?)", config->ip6);
    int fd = open("/proc/sys/net/ipv6/conf/" DEVICE "/accept_dad", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)!write(fd, "0", 1);
        close(fd);
    }
    if (bring_up(error, size) < 0)
        return -1;
    int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int result = 0;
    if (s < 0 || ioctl(s, SIOCSIFADDR, &request) < 0)
        result = failed(error, size, "cannot give " DEVICE " the address %s", config->ip6);
    if (s >= 0)
        close(s);
    return result;
}

/* resolv.conf lines: from uk.dns, or those the kernel's DHCP client found. */
static int write_resolv_conf(const struct net_config *config, char *error, size_t size)
{
    char text[1024] = "";
    size_t used = 0;
    if (config->dns[0]) {
        char servers[256];
        snprintf(servers, sizeof servers, "%s", config->dns);
        char *saveptr = NULL;
        for (char *server = strtok_r(servers, ",", &saveptr); server; server = strtok_r(NULL, ",", &saveptr))
            used += (size_t)snprintf(text + used, sizeof text - used, "nameserver %s\n", server);
    } else {
        int fd = open("/proc/net/pnp", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, text, sizeof text - 1);
            close(fd);
            used = n > 0 ? (size_t)n : 0;
            text[used] = '\0';
        }
    }
    int fd = open(RESOLV_CONF, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return failed(error, size, "cannot write " RESOLV_CONF);
    int result = write(fd, text, used) == (ssize_t)used ? 0 : failed(error, size, "cannot write " RESOLV_CONF);
    close(fd);
    return result;
}

int setup_network(char *error, size_t error_size)
{
    struct net_config config;
    read_cmdline(&config);
    if (config.ip[0] && configure_eth0(&config, error, error_size) < 0)
        return -1;
    if (config.ip6[0] && configure_ipv6(&config, error, error_size) < 0)
        return -1;
    return write_resolv_conf(&config, error, error_size);
}
