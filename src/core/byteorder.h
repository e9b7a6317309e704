/* Network byte order helpers. Header and flow-key fields are kept in network
 * order (fl_be16/32/64 name that); loads from packet memory go through memcpy
 * so they are correct at any alignment. */
#ifndef FL_CORE_BYTEORDER_H
#define FL_CORE_BYTEORDER_H

#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "flowlane assumes a little-endian host"
#endif

typedef uint16_t fl_be16;
typedef uint32_t fl_be32;
typedef uint64_t fl_be64;

static inline fl_be16 fl_htons(uint16_t x) { return __builtin_bswap16(x); }
static inline uint16_t fl_ntohs(fl_be16 x) { return __builtin_bswap16(x); }
static inline fl_be32 fl_htonl(uint32_t x) { return __builtin_bswap32(x); }
static inline uint32_t fl_ntohl(fl_be32 x) { return __builtin_bswap32(x); }
static inline fl_be64 fl_htonll(uint64_t x) { return __builtin_bswap64(x); }
static inline uint64_t fl_ntohll(fl_be64 x) { return __builtin_bswap64(x); }

/* Unaligned loads and stores of raw (network-order) values. */
static inline uint16_t fl_get_u16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t fl_get_u32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t fl_get_u64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void fl_put_u16(void *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void fl_put_u32(void *p, uint32_t v) { memcpy(p, &v, 4); }

/* Host-order values of big-endian fields in packet memory. */
static inline uint16_t fl_get_be16(const void *p) { return fl_ntohs(fl_get_u16(p)); }
static inline uint32_t fl_get_be32(const void *p) { return fl_ntohl(fl_get_u32(p)); }

#endif
