/* SPDX-License-Identifier: MIT */
/* --net's argument: user[,hostfwd=...][,mac=...] or tap[,ifname=...][,mac=...]; default MACs. */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* One option word (between commas) at most this long. */
#define WORD_MAX 128
/* slirp's guest address: the first DHCP lease (net_user.c hands out 10.0.2.15). */
#define DEFAULT_GUEST_ADDR "10.0.2.15"
#define DEFAULT_HOST_ADDR  "127.0.0.1"
/* The IEEE 802 first-octet bits: group (multicast) and locally administered. */
#define MAC_GROUP_BIT 0x01
#define MAC_LOCAL_BIT 0x02
/* The default MAC's first four bytes: locally administered, "MK" for mini-kvm. */
static const uint8_t default_mac_prefix[4] = { MAC_LOCAL_BIT, 'M', 'K', 0x00 };

void net_default_mac(uint8_t mac[NET_ETH_ADDR_LEN], unsigned int index)
{
	memcpy(mac, default_mac_prefix, sizeof(default_mac_prefix));
	mac[4] = (uint8_t)(index >> 8);
	mac[5] = (uint8_t)index;
}

/* "12:34:56:78:9a:bc": six pairs of hex digits. */
static int parse_mac(uint8_t mac[NET_ETH_ADDR_LEN], const char *s)
{
	unsigned int b[NET_ETH_ADDR_LEN];
	char end;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &end) != NET_ETH_ADDR_LEN)
		return error_set(EINVAL,
				 "--net: mac=%s is not a MAC address like 02:4d:4b:00:00:01", s);
	for (int i = 0; i < NET_ETH_ADDR_LEN; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & MAC_GROUP_BIT)
		return error_set(EINVAL,
				 "--net: mac=%s is a multicast address (the low bit of its first "
				 "byte is set); a NIC needs a unicast one",
				 s);
	return 0;
}

/* A port number 0-65535 (0 only where allowed), the whole of s. */
static int parse_port(uint16_t *port, const char *s, bool zero_ok, const char *rule)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > 65535 || (!zero_ok && v == 0) || *s == '-' || *s == '+')
		return error_set(EINVAL, "--net: hostfwd=%s: '%s' is not a port number", rule, s);
	*port = (uint16_t)v;
	return 0;
}

/* An IPv4 address, or the default when s is empty. */
static int parse_addr(struct in_addr *addr, const char *s, const char *dflt, const char *rule)
{
	if (inet_pton(AF_INET, *s ? s : dflt, addr) != 1)
		return error_set(EINVAL, "--net: hostfwd=%s: '%s' is not an IPv4 address", rule, s);
	return 0;
}

/* [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static int parse_hostfwd(struct net_hostfwd *fwd, const char *rule)
{
	char buf[WORD_MAX], *proto, *host, *guest, *colon, *p;
	int ret;

	snprintf(buf, sizeof(buf), "%s", rule);
	memset(fwd, 0, sizeof(*fwd));
	p = buf;
	colon = strchr(p, ':');
	if (!colon)
		goto bad;
	*colon = '\0';
	proto = p;
	if (!strcmp(proto, "udp"))
		fwd->udp = true;
	else if (*proto && strcmp(proto, "tcp"))
		goto bad;
	host = colon + 1;
	guest = strchr(host, '-');
	if (!guest)
		goto bad;
	*guest++ = '\0';
	/* host: [ADDR]:PORT */
	colon = strchr(host, ':');
	if (!colon)
		goto bad;
	*colon = '\0';
	ret = parse_addr(&fwd->host_addr, host, DEFAULT_HOST_ADDR, rule);
	if (ret == 0)
		ret = parse_port(&fwd->host_port, colon + 1, true, rule);
	if (ret < 0)
		return ret;
	/* guest: [ADDR]:PORT */
	colon = strchr(guest, ':');
	if (!colon)
		goto bad;
	*colon = '\0';
	ret = parse_addr(&fwd->guest_addr, guest, DEFAULT_GUEST_ADDR, rule);
	if (ret == 0)
		ret = parse_port(&fwd->guest_port, colon + 1, false, rule);
	return ret;
bad:
	return error_set(EINVAL,
			 "--net: hostfwd=%s: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-"
			 "[GUESTADDR]:GUESTPORT",
			 rule);
}

int net_config_parse(struct net_config *cfg, const char *arg)
{
	const char *p = arg, *comma;
	char word[WORD_MAX];
	bool first = true;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	do {
		size_t len;

		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(word))
			return error_set(EINVAL, "--net: '%.40s...' is too long", p);
		memcpy(word, p, len);
		word[len] = '\0';
		p = comma ? comma + 1 : NULL;
		if (first) {
			first = false;
			if (!strcmp(word, "user"))
				cfg->kind = NET_USER;
			else if (!strcmp(word, "tap"))
				cfg->kind = NET_TAP;
			else
				return error_set(EINVAL,
						 "--net %s: the network is 'user' (libslirp) or "
						 "'tap'",
						 arg);
			continue;
		}
		if (!strncmp(word, "mac=", 4)) {
			ret = parse_mac(cfg->mac, word + 4);
			if (ret < 0)
				return ret;
			cfg->has_mac = true;
		} else if (!strncmp(word, "hostfwd=", 8) && cfg->kind == NET_USER) {
			if (cfg->nhostfwd == NET_HOSTFWD_MAX)
				return error_set(EINVAL, "--net: more than %d hostfwd= rules",
						 NET_HOSTFWD_MAX);
			ret = parse_hostfwd(&cfg->hostfwd[cfg->nhostfwd], word + 8);
			if (ret < 0)
				return ret;
			cfg->nhostfwd++;
		} else if (!strncmp(word, "ifname=", 7) && cfg->kind == NET_TAP) {
			if (strlen(word + 7) == 0 || strlen(word + 7) >= IFNAMSIZ ||
			    strchr(word + 7, '/'))
				return error_set(EINVAL,
						 "--net: ifname=%s is not an interface name (1 to "
						 "%d characters, no '/')",
						 word + 7, IFNAMSIZ - 1);
			snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", word + 7);
		} else {
			return error_set(EINVAL,
					 "--net %s: unknown option '%s' (user takes hostfwd= and "
					 "mac=, tap takes ifname= and mac=)",
					 arg, word);
		}
	} while (p);
	return 0;
}
