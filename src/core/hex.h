/* Hex digits, for the text formats that carry bytes (flow notes, frames in
 * golden files and traces). */
#ifndef FL_CORE_HEX_H
#define FL_CORE_HEX_H

/* Value of a hex digit, or -1. */
static inline int fl_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
