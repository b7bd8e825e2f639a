#include <stddef.h>
#include <stdint.h>
/* CRC-32 of buf[0..n) as zlib's crc32(0, buf, n). */
uint32_t crc32_buf(const unsigned char *buf, size_t n);
