/* SPDX-License-Identifier: MIT */
/* Unit tests of the i8042 and the ACPI power registers, each on its own with a fake of its ops. */
#include "unit.h"

#include <errno.h>

#include "arch/x86/layout.h"
#include "devices/acpi_pm.h"
#include "devices/i8042.h"

/* 8042 status: output and input buffers empty, self-test passed ("system flag"). */
#define I8042_STATUS_IDLE   0x04
#define I8042_STATUS_IBF    0x02 /* input buffer full: the controller is busy */
#define I8042_PULSE_RESET   0xfe
#define I8042_READ_CMDBYTE  0x20
#define I8042_WRITE_OUTPUT  0xd1
#define I8042_DISABLE_KBD   0xad
#define I8042_SELF_TEST	    0xaa
#define I8042_PULSE_NONE    0xff /* pulse no output line */
#define I8042_STATUS_OBF    0x01 /* a reply waits at the data port */
#define I8042_WRITE_CMDBYTE 0x60
#define I8042_READ_OUTPUT   0xd0
#define I8042_A20_OFF	    0xdd
#define I8042_A20_ON	    0xdf
#define OUT_RESET_HIGH	    0x01 /* output port bit 0: reset line, active low */
#define OUT_A20		    0x02

/* ACPI sleep control register (ACPI 6.4, 4.8.3.7): SLP_TYP in bits 2-4, SLP_EN bit 5. */
#define SLP_TYP(t)  ((t) << 2)
#define SLP_EN	    (1 << 5)
#define SLP_TYP_MAX 7
#define SLEEP_S5    (SLP_TYP(ACPI_S5_SLEEP_TYPE) | SLP_EN)

#define REG(port) ((port)-PORT_ACPI_SLEEP_CONTROL)

/* What the devices asked of their (fake) VM. */
struct requests {
	int resets, poweroffs;
	char why[128];
};

static void fake_reset(void *opaque, const char *why)
{
	struct requests *r = opaque;

	r->resets++;
	snprintf(r->why, sizeof(r->why), "%s", why);
}

static void fake_poweroff(void *opaque, const char *why)
{
	struct requests *r = opaque;

	r->poweroffs++;
	snprintf(r->why, sizeof(r->why), "%s", why);
}

static uint8_t kbc_in(struct i8042 *kbc, uint16_t port)
{
	uint8_t value = 0xff;

	if (port == PORT_I8042_COMMAND)
		assert_int_equal(i8042_status_read(kbc, 0, &value, 1), 0);
	else
		assert_int_equal(i8042_data_read(kbc, 0, &value, 1), 0);
	return value;
}

static void kbc_out(struct i8042 *kbc, uint8_t command)
{
	assert_int_equal(i8042_command_write(kbc, 0, &command, 1), 0);
}

static uint8_t pm_in(struct acpi_pm *pm, uint16_t port)
{
	uint8_t value = 0xff;

	assert_int_equal(acpi_pm_bus_read(pm, REG(port), &value, 1), 0);
	return value;
}

static void pm_out(struct acpi_pm *pm, uint16_t port, uint8_t value)
{
	assert_int_equal(acpi_pm_bus_write(pm, REG(port), &value, 1), 0);
}

/* --- i8042 ---------------------------------------------------------------- */

static void test_i8042_reads(void **state)
{
	struct requests r = { 0 };
	struct i8042 kbc = { .reset = fake_reset, .opaque = &r };

	(void)state;
	assert_int_equal(kbc_in(&kbc, PORT_I8042_COMMAND), I8042_STATUS_IDLE);
	assert_int_equal(kbc_in(&kbc, PORT_I8042_DATA), 0);
	assert_int_equal(r.resets, 0);
}

static void test_i8042_reset(void **state)
{
	struct requests r = { 0 };
	struct i8042 kbc = { .reset = fake_reset, .opaque = &r };

	(void)state;
	/* Linux's reboot=k: wait for an empty input buffer, then pulse the reset line. */
	assert_int_equal(kbc_in(&kbc, PORT_I8042_COMMAND) & I8042_STATUS_IBF, 0);
	kbc_out(&kbc, I8042_PULSE_RESET);
	assert_int_equal(r.resets, 1);
	assert_string_equal(r.why, "reset through the 8042 controller");
}

static void test_i8042_other_commands(void **state)
{
	static const uint8_t commands[] = { I8042_READ_CMDBYTE,
					    I8042_WRITE_OUTPUT,
					    I8042_DISABLE_KBD,
					    I8042_SELF_TEST,
					    I8042_PULSE_NONE,
					    I8042_PULSE_RESET - 1,
					    0x00 };
	struct requests r = { 0 };
	struct i8042 kbc = { .reset = fake_reset, .opaque = &r };

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(commands); i++)
		kbc_out(&kbc, commands[i]);
	assert_int_equal(r.resets, 0);
}

static void kbc_data_out(struct i8042 *kbc, uint8_t value)
{
	assert_int_equal(i8042_data_write(kbc, 0, &value, 1), 0);
}

/* Replies come through the output buffer, with OBF set until the data port is read. */
static void test_i8042_replies(void **state)
{
	struct requests r = { 0 };
	struct i8042 kbc = { .reset = fake_reset, .opaque = &r };

	(void)state;
	kbc_out(&kbc, I8042_SELF_TEST);
	assert_int_equal(kbc_in(&kbc, PORT_I8042_COMMAND), I8042_STATUS_IDLE | I8042_STATUS_OBF);
	assert_int_equal(kbc_in(&kbc, PORT_I8042_DATA), 0x55);
	assert_int_equal(kbc_in(&kbc, PORT_I8042_COMMAND), I8042_STATUS_IDLE);
	kbc_out(&kbc, I8042_READ_OUTPUT);
	assert_int_equal(kbc_in(&kbc, PORT_I8042_DATA), OUT_A20 | OUT_RESET_HIGH);
	kbc_out(&kbc, I8042_WRITE_CMDBYTE);
	kbc_data_out(&kbc, 0x61);
	kbc_out(&kbc, I8042_READ_CMDBYTE);
	assert_int_equal(kbc_in(&kbc, PORT_I8042_DATA), 0x61);
	assert_int_equal(r.resets, 0);
}

/* A20 (classic boot blocks: D1h then DFh; HP's DDh/DFh; port 92h) is on and stays on. */
static void test_i8042_a20(void **state)
{
	struct requests r = { 0 };
	struct i8042 kbc = { .reset = fake_reset, .opaque = &r };
	uint8_t v = 0;

	(void)state;
	kbc_out(&kbc, I8042_WRITE_OUTPUT);
	kbc_data_out(&kbc, 0xdf);
	kbc_out(&kbc, I8042_WRITE_OUTPUT);
	kbc_data_out(&kbc, 0xdd); /* A20 off: accepted, stays on */
	kbc_out(&kbc, I8042_A20_OFF);
	kbc_out(&kbc, I8042_A20_ON);
	kbc_out(&kbc, I8042_READ_OUTPUT);
	assert_int_equal(kbc_in(&kbc, PORT_I8042_DATA) & OUT_A20, OUT_A20);
	assert_int_equal(i8042_sysctl_read(&kbc, 0, &v, 1), 0);
	assert_int_equal(v, SYSCTL_A_A20);
	v = SYSCTL_A_A20;
	assert_int_equal(i8042_sysctl_write(&kbc, 0, &v, 1), 0);
	/* Data without a pending command goes to the keyboard that is not there. */
	kbc_data_out(&kbc, 0x00);
	assert_int_equal(r.resets, 0);
}

/* The reset line: output port bit 0 written low, or port 92h bit 0 written high. */
static void test_i8042_output_port_and_port92_reset(void **state)
{
	struct requests r = { 0 };
	struct i8042 kbc = { .reset = fake_reset, .opaque = &r };
	uint8_t v = SYSCTL_A_RESET;

	(void)state;
	kbc_out(&kbc, I8042_WRITE_OUTPUT);
	kbc_data_out(&kbc, 0xde);
	assert_int_equal(r.resets, 1);
	assert_string_equal(r.why, "reset through the 8042 controller's output port");
	assert_int_equal(i8042_sysctl_write(&kbc, 0, &v, 1), 0);
	assert_int_equal(r.resets, 2);
	assert_string_equal(r.why, "reset through system control port A (0x92)");
}

static void test_i8042_save_restore(void **state)
{
	struct requests r = { 0 };
	struct i8042 a = { .reset = fake_reset, .opaque = &r }, b = a;
	struct i8042_state s, bad;

	(void)state;
	kbc_out(&a, I8042_SELF_TEST);
	kbc_out(&a, I8042_WRITE_CMDBYTE);
	i8042_save(&a, &s);
	assert_int_equal(i8042_restore(&b, &s), 0);
	assert_int_equal(kbc_in(&b, PORT_I8042_COMMAND), I8042_STATUS_IDLE | I8042_STATUS_OBF);
	kbc_data_out(&b, 0x20); /* the pending 60h command survived */
	kbc_out(&b, I8042_READ_CMDBYTE);
	assert_int_equal(kbc_in(&b, PORT_I8042_DATA), 0x20);
	bad = s;
	bad.obf = 2;
	assert_int_equal(i8042_restore(&b, &bad), -EINVAL);
	bad = s;
	bad.pending = 0xaa;
	assert_int_equal(i8042_restore(&b, &bad), -EINVAL);
	bad = s;
	bad.reserved[3] = 1;
	assert_int_equal(i8042_restore(&b, &bad), -EINVAL);
}

/* --- ACPI sleep and reset registers --------------------------------------- */

static void test_acpi_poweroff(void **state)
{
	struct requests r = { 0 };
	struct acpi_pm pm = { .poweroff = fake_poweroff, .reset = fake_reset, .opaque = &r };

	(void)state;
	/* What Linux's acpi_hw_extended_sleep() writes for S5. */
	pm_out(&pm, PORT_ACPI_SLEEP_CONTROL, SLEEP_S5);
	assert_int_equal(r.poweroffs, 1);
	assert_int_equal(r.resets, 0);
	assert_string_equal(r.why, "powered off (ACPI S5)");
}

static void test_acpi_other_sleep(void **state)
{
	struct requests r = { 0 };
	struct acpi_pm pm = { .poweroff = fake_poweroff, .reset = fake_reset, .opaque = &r };

	(void)state;
	/* SLP_EN with any other type: ignored, the guest keeps running. */
	for (unsigned int type = 0; type <= SLP_TYP_MAX; type++)
		if (type != ACPI_S5_SLEEP_TYPE)
			pm_out(&pm, PORT_ACPI_SLEEP_CONTROL, SLP_TYP(type) | SLP_EN);
	/* The S5 type without SLP_EN only prepares the transition. */
	pm_out(&pm, PORT_ACPI_SLEEP_CONTROL, SLP_TYP(ACPI_S5_SLEEP_TYPE));
	/* The poweroff value on the other registers. */
	pm_out(&pm, PORT_ACPI_SLEEP_STATUS, SLEEP_S5);
	pm_out(&pm, PORT_ACPI_RESET, SLEEP_S5);
	assert_int_equal(r.poweroffs, 0);
	assert_int_equal(r.resets, 0);
}

static void test_acpi_reset(void **state)
{
	struct requests r = { 0 };
	struct acpi_pm pm = { .poweroff = fake_poweroff, .reset = fake_reset, .opaque = &r };

	(void)state;
	pm_out(&pm, PORT_ACPI_RESET, ACPI_RESET_VALUE);
	assert_int_equal(r.resets, 1);
	assert_string_equal(r.why, "reset through ACPI");
}

static void test_acpi_reset_other_values(void **state)
{
	static const uint8_t values[] = { 0x00, ACPI_RESET_VALUE + 1, 0x06, 0x0e, 0xff };
	struct requests r = { 0 };
	struct acpi_pm pm = { .poweroff = fake_poweroff, .reset = fake_reset, .opaque = &r };

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(values); i++)
		pm_out(&pm, PORT_ACPI_RESET, values[i]);
	/* The reset value on the sleep registers does nothing either. */
	pm_out(&pm, PORT_ACPI_SLEEP_CONTROL, ACPI_RESET_VALUE);
	pm_out(&pm, PORT_ACPI_SLEEP_STATUS, ACPI_RESET_VALUE);
	assert_int_equal(r.poweroffs, 0);
	assert_int_equal(r.resets, 0);
}

static void test_acpi_reads(void **state)
{
	struct requests r = { 0 };
	struct acpi_pm pm = { .poweroff = fake_poweroff, .reset = fake_reset, .opaque = &r };

	(void)state;
	/* No wake status, and the write-only registers read as 0 too. */
	assert_int_equal(pm_in(&pm, PORT_ACPI_SLEEP_STATUS), 0);
	assert_int_equal(pm_in(&pm, PORT_ACPI_SLEEP_CONTROL), 0);
	assert_int_equal(pm_in(&pm, PORT_ACPI_RESET), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i8042_reads),
		cmocka_unit_test(test_i8042_reset),
		cmocka_unit_test(test_i8042_replies),
		cmocka_unit_test(test_i8042_a20),
		cmocka_unit_test(test_i8042_output_port_and_port92_reset),
		cmocka_unit_test(test_i8042_save_restore),
		cmocka_unit_test(test_i8042_other_commands),
		cmocka_unit_test(test_acpi_poweroff),
		cmocka_unit_test(test_acpi_other_sleep),
		cmocka_unit_test(test_acpi_reset),
		cmocka_unit_test(test_acpi_reset_other_values),
		cmocka_unit_test(test_acpi_reads),
	};

	return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
