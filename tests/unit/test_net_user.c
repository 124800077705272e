/* SPDX-License-Identifier: MIT */
/* Unit tests of --net user's threads (src/net/net_user.c) on the real libslirp, with a fake NIC. */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "sandbox.h"

#define ETH_TYPE_ARP	 0x0806
#define ETH_TYPE_IPV4	 0x0800
#define ARP_HTYPE_ETHER	 1
#define ARP_OP_REQUEST	 1
#define ARP_OP_REPLY	 2
#define ARP_FRAME_LEN	 42 /* Ethernet header 14 + ARP for IPv4 over Ethernet 28 (RFC 826) */
#define ARP_OP_OFFSET	 20
#define ARP_SPA_OFFSET	 28
#define ARP_TPA_OFFSET	 38
#define REPLIES_MAX	 8
#define WAIT_STEP_NS	 1000000L /* 1 ms */
#define WAIT_LIMIT_STEPS 5000	  /* 5 s, then the test fails */
#define SETTLE_US	 100000	  /* the slirp thread gets to its poll() */
#define DIRECT_TRIES	 20
#define GUEST_IP	 "10.0.2.15"
#define GATEWAY_IP	 "10.0.2.2" /* slirp answers ARP for its gateway... */
#define DNS_IP		 "10.0.2.3" /* ...and for its DNS */

static const uint8_t guest_mac[NET_ETH_ADDR_LEN] = { 0x02, 0x4d, 0x4b, 0x00, 0x00, 0x01 };

/* The fake NIC: takes ARP replies, refuses everything while full, says who gave each. */
struct fake_nic {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool full, stopping;
	bool waiting; /* a backend thread is in wait_room() */
	unsigned int nreplies;
	uint32_t reply_spa[REPLIES_MAX]; /* whose address each ARP reply gives */
	pthread_t reply_thread[REPLIES_MAX];
	unsigned int send_ready;
};

static int fake_receive(void *opaque, const struct iovec *iov, unsigned int n)
{
	struct fake_nic *nic = opaque;
	uint8_t frame[ARP_FRAME_LEN];

	pthread_mutex_lock(&nic->lock);
	if (nic->full) {
		pthread_mutex_unlock(&nic->lock);
		return -EAGAIN;
	}
	assert_true(n == 2 && iov[0].iov_len == NET_HDR_LEN);
	/* slirp pads its replies to Ethernet's 60 bytes or more: the rest is not read. */
	if (iov[1].iov_len >= ARP_FRAME_LEN)
		memcpy(frame, iov[1].iov_base, ARP_FRAME_LEN);
	if (iov[1].iov_len >= ARP_FRAME_LEN && frame[12] == ETH_TYPE_ARP >> 8 &&
	    frame[13] == (ETH_TYPE_ARP & 0xff) && frame[ARP_OP_OFFSET + 1] == ARP_OP_REPLY &&
	    nic->nreplies < REPLIES_MAX) {
		memcpy(&nic->reply_spa[nic->nreplies], frame + ARP_SPA_OFFSET, sizeof(uint32_t));
		nic->reply_thread[nic->nreplies] = pthread_self();
		nic->nreplies++;
		pthread_cond_broadcast(&nic->cond);
	}
	pthread_mutex_unlock(&nic->lock);
	return 0;
}

static int fake_wait_room(void *opaque)
{
	struct fake_nic *nic = opaque;
	int ret;

	pthread_mutex_lock(&nic->lock);
	nic->waiting = true;
	pthread_cond_broadcast(&nic->cond);
	while (nic->full && !nic->stopping)
		pthread_cond_wait(&nic->cond, &nic->lock);
	nic->waiting = false;
	ret = nic->stopping ? -ECANCELED : 0;
	pthread_mutex_unlock(&nic->lock);
	return ret;
}

static void fake_send_ready(void *opaque)
{
	struct fake_nic *nic = opaque;

	pthread_mutex_lock(&nic->lock);
	nic->send_ready++;
	pthread_mutex_unlock(&nic->lock);
}

/* Wait (bounded) until *flag or nreplies >= want; false on the time limit. */
static bool wait_for(struct fake_nic *nic, const bool *flag, unsigned int want)
{
	bool ok;

	for (unsigned int i = 0; i < WAIT_LIMIT_STEPS; i++) {
		struct timespec step = { 0, WAIT_STEP_NS };

		pthread_mutex_lock(&nic->lock);
		ok = flag ? *flag : nic->nreplies >= want;
		pthread_mutex_unlock(&nic->lock);
		if (ok)
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

/* A guest's ARP request (RFC 826) for target, as the NIC hands it: header, then frame. */
static void arp_request(uint8_t *buf, const char *target)
{
	uint8_t *f = buf + NET_HDR_LEN;
	uint32_t spa, tpa;

	memset(buf, 0, NET_HDR_LEN + ARP_FRAME_LEN);
	memset(f, 0xff, NET_ETH_ADDR_LEN); /* broadcast */
	memcpy(f + 6, guest_mac, NET_ETH_ADDR_LEN);
	f[12] = ETH_TYPE_ARP >> 8;
	f[13] = ETH_TYPE_ARP & 0xff;
	f[15] = ARP_HTYPE_ETHER;
	f[16] = ETH_TYPE_IPV4 >> 8;
	f[17] = ETH_TYPE_IPV4 & 0xff;
	f[18] = NET_ETH_ADDR_LEN;
	f[19] = sizeof(uint32_t);
	f[ARP_OP_OFFSET + 1] = ARP_OP_REQUEST;
	memcpy(f + 22, guest_mac, NET_ETH_ADDR_LEN);
	inet_pton(AF_INET, GUEST_IP, &spa);
	memcpy(f + ARP_SPA_OFFSET, &spa, sizeof(spa));
	inet_pton(AF_INET, target, &tpa);
	memcpy(f + ARP_TPA_OFFSET, &tpa, sizeof(tpa));
}

struct fixture {
	struct fake_nic nic;
	struct net_backend *be;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct net_config cfg = { .kind = NET_USER };
	struct net_peer peer;

	assert_non_null(f);
	pthread_mutex_init(&f->nic.lock, NULL);
	pthread_cond_init(&f->nic.cond, NULL);
	*state = f;
	if (net_user_create(&f->be, &cfg) < 0) {
		f->be = NULL;
		return 0; /* no libslirp here: each test skips */
	}
	peer = (struct net_peer){ .receive = fake_receive,
				  .wait_room = fake_wait_room,
				  .send_ready = fake_send_ready,
				  .opaque = &f->nic };
	assert_int_equal(f->be->start(f->be, &peer), 0);
	usleep(SETTLE_US);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->be) {
		pthread_mutex_lock(&f->nic.lock);
		f->nic.stopping = true; /* as virtio_net_stop() before the backend's stop */
		pthread_cond_broadcast(&f->nic.cond);
		pthread_mutex_unlock(&f->nic.lock);
		f->be->stop(f->be);
		f->be->destroy(f->be);
	}
	pthread_cond_destroy(&f->nic.cond);
	pthread_mutex_destroy(&f->nic.lock);
	free(f);
	return 0;
}

static uint32_t addr(const char *text)
{
	uint32_t a;

	inet_pton(AF_INET, text, &a);
	return a;
}

/* Its own sandbox for the NIC's I/O thread, which calls slirp (sandbox/rules.h). */
static void test_io_thread_sandbox(void **state)
{
	struct fixture *f = *state;

	if (!f->be)
		skip();
	assert_int_equal(f->be->io_sandbox, SANDBOX_VIRTIO_NET_USER);
}

/*
 * With the slirp thread in poll(), the I/O thread's frame goes into slirp on the I/O
 * thread itself: the reply is with the NIC when send() returns, and no thread switch
 * came between. (A loaded machine may find the slirp thread busy, holding slirp: then
 * the frame goes through the hand-off; the next try after a pause finds it polling.)
 */
static void send_until_direct(struct fixture *f, const struct iovec *iov, unsigned int n,
			      const char *target)
{
	for (unsigned int try = 0; try < DIRECT_TRIES; try++) {
		unsigned int before = f->nic.nreplies;

		assert_int_equal(f->be->send(f->be, iov, n), 0);
		assert_true(wait_for(&f->nic, NULL, before + 1));
		pthread_mutex_lock(&f->nic.lock);
		assert_int_equal(f->nic.reply_spa[before], addr(target));
		if (pthread_equal(f->nic.reply_thread[before], pthread_self())) {
			pthread_mutex_unlock(&f->nic.lock);
			return;
		}
		f->nic.nreplies = before; /* given by the slirp thread: try again */
		pthread_mutex_unlock(&f->nic.lock);
		usleep(SETTLE_US);
	}
	fail_msg("slirp never answered on the sending thread in %d tries", DIRECT_TRIES);
}

static void test_send_goes_into_slirp_directly(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[NET_HDR_LEN + ARP_FRAME_LEN];
	struct iovec iov[2] = { { buf, NET_HDR_LEN }, { buf + NET_HDR_LEN, ARP_FRAME_LEN } };

	if (!f->be)
		skip();
	/* In one buffer and in two. */
	arp_request(buf, GATEWAY_IP);
	send_until_direct(f, &(struct iovec){ buf, sizeof(buf) }, 1, GATEWAY_IP);
	usleep(SETTLE_US);
	arp_request(buf, DNS_IP);
	send_until_direct(f, iov, 2, DNS_IP);
}

/*
 * A full NIC: the I/O thread never waits (it is what empties the NIC). slirp's reply
 * is held for the slirp thread, which waits for room with slirp to itself; a frame
 * the guest sends meanwhile goes through the hand-off; when room comes, both replies
 * reach the NIC from the slirp thread, in order.
 */
static void test_full_nic_holds_replies_in_order(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[NET_HDR_LEN + ARP_FRAME_LEN];
	struct iovec iov = { buf, sizeof(buf) };

	if (!f->be)
		skip();
	pthread_mutex_lock(&f->nic.lock);
	f->nic.full = true;
	pthread_mutex_unlock(&f->nic.lock);
	arp_request(buf, GATEWAY_IP);
	assert_int_equal(f->be->send(f->be, &iov, 1), 0);
	assert_true(wait_for(&f->nic, &f->nic.waiting, 0)); /* the slirp thread has it */
	arp_request(buf, DNS_IP);
	assert_int_equal(f->be->send(f->be, &iov, 1), 0);
	pthread_mutex_lock(&f->nic.lock);
	assert_int_equal(f->nic.nreplies, 0);
	f->nic.full = false;
	pthread_cond_broadcast(&f->nic.cond);
	pthread_mutex_unlock(&f->nic.lock);
	assert_true(wait_for(&f->nic, NULL, 2));
	assert_int_equal(f->nic.reply_spa[0], addr(GATEWAY_IP));
	assert_int_equal(f->nic.reply_spa[1], addr(DNS_IP));
	assert_false(pthread_equal(f->nic.reply_thread[0], pthread_self()));
	assert_false(pthread_equal(f->nic.reply_thread[1], pthread_self()));
}

/* A NIC that stays full: stopping ends the slirp thread's wait (the frames are lost). */
static void test_stop_while_waiting_for_room(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[NET_HDR_LEN + ARP_FRAME_LEN];
	struct iovec iov = { buf, sizeof(buf) };

	if (!f->be)
		skip();
	pthread_mutex_lock(&f->nic.lock);
	f->nic.full = true;
	pthread_mutex_unlock(&f->nic.lock);
	arp_request(buf, GATEWAY_IP);
	assert_int_equal(f->be->send(f->be, &iov, 1), 0);
	assert_true(wait_for(&f->nic, &f->nic.waiting, 0));
	/* teardown() stops it, as the VM does, and frees what is held. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_thread_sandbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_goes_into_slirp_directly, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_nic_holds_replies_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_waiting_for_room, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
