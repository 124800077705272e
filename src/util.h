/* SPDX-License-Identifier: MIT */
/* Small helpers every layer may use: no includes of mini-kvm's own. */
#ifndef MINI_KVM_UTIL_H
#define MINI_KVM_UTIL_H

/* Elements in a true array (not a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
