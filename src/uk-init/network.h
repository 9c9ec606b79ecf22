/* The guest's network, configured by uk-init from the kernel command line:
 *
 *   uk.ip=ADDRESS/PREFIX  uk.gw=GATEWAY  uk.dns=SERVER[,SERVER...]  uk.ip6=ADDRESS/PREFIX
 *
 * Static addressing here takes microseconds; the kernel's own ip= autoconfiguration
 * spends 50-140 ms under emulation waiting for carrier and "settling" in msleep()
 * steps of 10 ms (HZ=100). The kernel's ip=dhcp is still the way to get an address by
 * DHCP (clouds); its name servers are then taken from /proc/net/pnp. */
#ifndef UK_INIT_NETWORK_H
#define UK_INIT_NETWORK_H

#include <stddef.h>

/* Reads the uk.* parameters from /proc/cmdline, configures eth0 when uk.ip is given,
 * and writes /run/resolv.conf (which the image's /etc/resolv.conf points to). */
int setup_network(char *error, size_t error_size);

#endif
