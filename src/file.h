/* Reading a whole input file (guest image, bzImage, initrd) into memory, with checks. */
#ifndef MINI_KVM_FILE_H
#define MINI_KVM_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Read the regular file at path into a malloc()ed buffer (*buf, *size bytes; an
 * empty file gives a 1-byte buffer and *size 0). what names the file in messages
 * ("guest", "bzImage", "initrd"): "<what> '<path>': <cause>". Files larger than
 * max bytes are refused. Returns 0, or -errno with a message: -ENOENT/-EACCES
 * (open), -ENOEXEC (not a regular file), -EFBIG (over max), -ENOMEM, -EIO.
 */
int file_read_all(const char *path, const char *what, uint64_t max, uint8_t **buf, size_t *size);

#endif
