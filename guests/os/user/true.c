/* SPDX-License-Identifier: MIT */
/* Does nothing, successfully: what the shell's `stress` command starts 1,000 times. */
int main(void)
{
	return 0;
}
