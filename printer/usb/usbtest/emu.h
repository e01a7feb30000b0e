#ifndef STOREEDGE_USBTEST_EMU_H
#define STOREEDGE_USBTEST_EMU_H

#include <stddef.h>

typedef struct emu_printer emu_printer;

/* emu_new makes a testbed with one printer-class USB device and attaches the
 * live ioctl handler to its device node. On failure it returns NULL and puts a
 * message in err (of errlen bytes). */
emu_printer *emu_new(const char *device_record, const char *devnode,
		     const char *manufacturer, const char *product, const char *serial,
		     char *err, size_t errlen);
void emu_free(emu_printer *p);

/* what the printer answers to DLE EOT 1..4 */
void emu_set_replies(emu_printer *p, unsigned char r1, unsigned char r2, unsigned char r3, unsigned char r4);
void emu_set_silent(emu_printer *p, int silent);
void emu_set_port_status(emu_printer *p, unsigned char status);
/* unplugged: every ioctl fails with ENODEV and waiting transfers end */
void emu_set_unplugged(emu_printer *p, int unplugged);
int emu_unplugged(emu_printer *p);
/* unplug once this many bytes arrived on bulk OUT (-1: never) */
void emu_fail_after(emu_printer *p, long bytes);

/* bytes received on bulk OUT so far; copies up to len into buf */
size_t emu_received(emu_printer *p, unsigned char *buf, size_t len);
size_t emu_received_len(emu_printer *p);
void emu_reset(emu_printer *p);
long emu_queries(emu_printer *p);
long emu_ioctls(emu_printer *p);

#endif
