// The live ioctl handler of an emulated USB receipt printer under umockdev:
// it answers the usbdevfs ioctls libusb makes, records the bytes written to
// the bulk OUT endpoint, answers DLE EOT status queries on the bulk IN
// endpoint, serves string descriptors and the printer-class port status, and
// can be unplugged (ENODEV) and plugged in again.

#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <umockdev.h>

#include "emu.h"

#define EP_OUT 0x01
#define EP_IN 0x81

struct emu_printer {
	UMockdevTestbed *testbed;
	UMockdevIoctlBase *handler;
	char *devnode;

	pthread_mutex_t mu;
	GByteArray *out;	/* bytes received on bulk OUT */
	GByteArray *in;		/* reply bytes not yet sent on bulk IN */
	GQueue in_waiting;	/* UMockdevIoctlData* of submitted IN URBs */
	GQueue done;		/* UMockdevIoctlData* of URBs ready to reap */
	unsigned char replies[4];
	unsigned char port_status;
	int silent;
	int unplugged;
	long fail_after;
	int dle;		/* 0, 1 after DLE, 2 after DLE EOT */
	long queries;
	long ioctls;
	char *manufacturer, *product, *serial;
};

static void complete_urb(emu_printer *p, UMockdevIoctlData *urb_data, int status, int actual)
{
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *) urb_data->data;
	urb->status = status;
	urb->actual_length = actual;
	g_queue_push_tail(&p->done, urb_data);
}

/* feed_in hands waiting reply bytes to waiting IN URBs. */
static void feed_in(emu_printer *p)
{
	while (p->in->len > 0 && !g_queue_is_empty(&p->in_waiting)) {
		UMockdevIoctlData *urb_data = g_queue_pop_head(&p->in_waiting);
		struct usbdevfs_urb *urb = (struct usbdevfs_urb *) urb_data->data;
		int n = MIN((int) p->in->len, urb->buffer_length);
		memcpy(urb->buffer, p->in->data, n);
		g_byte_array_remove_range(p->in, 0, n);
		complete_urb(p, urb_data, 0, n);
	}
}

/* end_all ends every waiting transfer, as a disconnect does. */
static void end_all(emu_printer *p, int status)
{
	UMockdevIoctlData *urb_data;
	while ((urb_data = g_queue_pop_head(&p->in_waiting)) != NULL)
		complete_urb(p, urb_data, status, 0);
}

static void receive(emu_printer *p, const unsigned char *b, int n)
{
	g_byte_array_append(p->out, b, n);
	for (int i = 0; i < n; i++) {
		unsigned char c = b[i];
		if (p->dle == 0 && c == 0x10) {
			p->dle = 1;
		} else if (p->dle == 1 && c == 0x04) {
			p->dle = 2;
		} else if (p->dle == 2 && c >= 1 && c <= 4) {
			p->dle = 0;
			p->queries++;
			if (!p->silent)
				g_byte_array_append(p->in, &p->replies[c - 1], 1);
		} else {
			p->dle = (c == 0x10) ? 1 : 0;
		}
	}
}

/* string_descriptor writes USB string descriptor idx into buf. */
static int string_descriptor(emu_printer *p, int idx, unsigned char *buf, int len)
{
	const char *s = NULL;
	unsigned char d[256];
	int n;

	switch (idx) {
	case 0:
		d[0] = 4; d[1] = 3; d[2] = 0x09; d[3] = 0x04; /* en-US */
		n = 4;
		goto out;
	case 1: s = p->manufacturer; break;
	case 2: s = p->product; break;
	case 3: s = p->serial; break;
	}
	if (s == NULL || *s == '\0')
		return -1;
	n = 2;
	for (const char *c = s; *c && n < 254; c++) {
		d[n++] = (unsigned char) *c;
		d[n++] = 0;
	}
	d[0] = n; d[1] = 3;
out:
	n = MIN(n, len);
	memcpy(buf, d, n);
	return n;
}

/* control answers a control transfer; returns the data length or -errno. */
static int control(emu_printer *p, unsigned char *buf, int buflen)
{
	if (buflen < 8)
		return -EINVAL;
	unsigned char type = buf[0], req = buf[1];
	int value = buf[2] | buf[3] << 8, length = buf[6] | buf[7] << 8;
	unsigned char *data = buf + 8;
	int room = MIN(length, buflen - 8);

	if (type == 0x80 && req == 6 && (value >> 8) == 3) { /* GET_DESCRIPTOR string */
		int n = string_descriptor(p, value & 0xff, data, room);
		return n < 0 ? -EPIPE : n;
	}
	if (type == 0xA1 && req == 1 && room >= 1) { /* printer class GET_PORT_STATUS */
		data[0] = p->port_status;
		return 1;
	}
	if (type == 0xA1 && req == 0) { /* printer class GET_DEVICE_ID */
		char id[200];
		int n = g_snprintf(id, sizeof id, "MFG:%s;MDL:%s;CMD:ESC/POS;CLS:PRINTER;", p->manufacturer, p->product);
		int total = MIN(n + 2, room);
		unsigned char full[202];
		full[0] = (n + 2) >> 8; full[1] = (n + 2) & 0xff;
		memcpy(full + 2, id, n);
		memcpy(data, full, total);
		return total;
	}
	return -EPIPE; /* stall: not supported */
}

static gboolean handle_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client, gpointer user)
{
	emu_printer *p = user;
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	unsigned long request = umockdev_ioctl_client_get_request(client);
	(void) handler;

	pthread_mutex_lock(&p->mu);
	p->ioctls++;

	if (request == USBDEVFS_REAPURB || request == USBDEVFS_REAPURBNDELAY) {
		UMockdevIoctlData *urb_data = g_queue_pop_head(&p->done);
		if (urb_data == NULL) {
			pthread_mutex_unlock(&p->mu);
			umockdev_ioctl_client_complete(client, -1, p->unplugged ? ENODEV : EAGAIN);
			return TRUE;
		}
		g_autoptr(UMockdevIoctlData) ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
		umockdev_ioctl_data_set_ptr(ptr, 0, urb_data);
		umockdev_ioctl_data_unref(urb_data); /* the pointer holds it now */
		pthread_mutex_unlock(&p->mu);
		umockdev_ioctl_client_complete(client, 0, 0);
		return TRUE;
	}

	if (p->unplugged) {
		pthread_mutex_unlock(&p->mu);
		umockdev_ioctl_client_complete(client, -1, ENODEV);
		return TRUE;
	}

	switch (request) {
	case USBDEVFS_GET_CAPABILITIES: {
		g_autoptr(UMockdevIoctlData) d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);
		*(guint32 *) d->data = USBDEVFS_CAP_BULK_SCATTER_GATHER | USBDEVFS_CAP_BULK_CONTINUATION |
				       USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
				       USBDEVFS_CAP_ZERO_PACKET;
		break;
	}
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE:
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESET:
	case USBDEVFS_RESETEP:
	case USBDEVFS_DISCONNECT_CLAIM:
		break;
	case USBDEVFS_GETDRIVER:
	case USBDEVFS_IOCTL:
		/* no kernel driver bound: detaching has nothing to do */
		pthread_mutex_unlock(&p->mu);
		umockdev_ioctl_client_complete(client, -1, ENODATA);
		return TRUE;
	case USBDEVFS_SUBMITURB: {
		UMockdevIoctlData *urb_data = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
		struct usbdevfs_urb *urb = (struct usbdevfs_urb *) urb_data->data;
		g_autoptr(UMockdevIoctlData) buf = umockdev_ioctl_data_resolve(urb_data,
			G_STRUCT_OFFSET(struct usbdevfs_urb, buffer), urb->buffer_length, NULL);
		unsigned char *b = buf ? buf->data : NULL;

		if (urb->type == USBDEVFS_URB_TYPE_BULK && urb->endpoint == EP_OUT) {
			int n = urb->buffer_length;
			if (p->fail_after >= 0 && (long) p->out->len + n >= p->fail_after) {
				/* the cable is pulled in the middle of this transfer */
				n = (int) (p->fail_after - (long) p->out->len);
				receive(p, b, n);
				p->unplugged = 1;
				p->fail_after = -1;
				complete_urb(p, urb_data, -ESHUTDOWN, n);
				end_all(p, -ESHUTDOWN);
			} else {
				receive(p, b, n);
				complete_urb(p, urb_data, 0, n);
				feed_in(p);
			}
		} else if (urb->type == USBDEVFS_URB_TYPE_BULK && urb->endpoint == EP_IN) {
			g_queue_push_tail(&p->in_waiting, urb_data);
			feed_in(p);
		} else if (urb->type == USBDEVFS_URB_TYPE_CONTROL) {
			int n = control(p, b, urb->buffer_length);
			complete_urb(p, urb_data, n < 0 ? n : 0, n < 0 ? 0 : n);
		} else {
			umockdev_ioctl_data_unref(urb_data);
			pthread_mutex_unlock(&p->mu);
			umockdev_ioctl_client_complete(client, -1, EINVAL);
			return TRUE;
		}
		break;
	}
	case USBDEVFS_DISCARDURB: {
		gulong addr = *(gulong *) arg->data;
		GList *l;
		for (l = p->in_waiting.head; l != NULL; l = l->next)
			if (((UMockdevIoctlData *) l->data)->client_addr == addr)
				break;
		if (l == NULL) {
			pthread_mutex_unlock(&p->mu);
			umockdev_ioctl_client_complete(client, -1, EINVAL);
			return TRUE;
		}
		UMockdevIoctlData *urb_data = l->data;
		g_queue_delete_link(&p->in_waiting, l);
		complete_urb(p, urb_data, -ENOENT, 0);
		break;
	}
	default:
		pthread_mutex_unlock(&p->mu);
		return FALSE;
	}
	pthread_mutex_unlock(&p->mu);
	umockdev_ioctl_client_complete(client, 0, 0);
	return TRUE;
}

emu_printer *emu_new(const char *device_record, const char *devnode,
		     const char *manufacturer, const char *product, const char *serial,
		     char *err, size_t errlen)
{
	GError *gerr = NULL;
	emu_printer *p = g_new0(emu_printer, 1);

	pthread_mutex_init(&p->mu, NULL);
	p->out = g_byte_array_new();
	p->in = g_byte_array_new();
	g_queue_init(&p->in_waiting);
	g_queue_init(&p->done);
	p->replies[0] = 0x16; p->replies[1] = 0x12; p->replies[2] = 0x12; p->replies[3] = 0x12;
	p->port_status = 0x18; /* selected, no error */
	p->fail_after = -1;
	p->manufacturer = g_strdup(manufacturer);
	p->product = g_strdup(product);
	p->serial = g_strdup(serial);
	p->devnode = g_strdup(devnode);

	p->testbed = umockdev_testbed_new();
	p->handler = umockdev_ioctl_base_new();
	g_signal_connect(p->handler, "handle-ioctl", G_CALLBACK(handle_ioctl), p);
	/* attach first, so the device can be opened as soon as it appears */
	if (!umockdev_testbed_attach_ioctl(p->testbed, devnode, p->handler, &gerr)) {
		g_snprintf(err, errlen, "attach ioctl handler to %s: %s", devnode, gerr ? gerr->message : "failed");
		g_clear_error(&gerr);
		emu_free(p);
		return NULL;
	}
	if (!umockdev_testbed_add_from_string(p->testbed, device_record, &gerr)) {
		g_snprintf(err, errlen, "add device: %s", gerr ? gerr->message : "failed");
		g_clear_error(&gerr);
		emu_free(p);
		return NULL;
	}
	return p;
}

void emu_free(emu_printer *p)
{
	if (p == NULL)
		return;
	if (p->testbed && p->devnode)
		umockdev_testbed_detach_ioctl(p->testbed, p->devnode, NULL);
	g_clear_object(&p->handler);
	g_clear_object(&p->testbed);
	UMockdevIoctlData *d;
	while ((d = g_queue_pop_head(&p->in_waiting)) != NULL)
		umockdev_ioctl_data_unref(d);
	while ((d = g_queue_pop_head(&p->done)) != NULL)
		umockdev_ioctl_data_unref(d);
	g_byte_array_unref(p->out);
	g_byte_array_unref(p->in);
	g_free(p->manufacturer);
	g_free(p->product);
	g_free(p->serial);
	g_free(p->devnode);
	pthread_mutex_destroy(&p->mu);
	g_free(p);
}

void emu_set_replies(emu_printer *p, unsigned char r1, unsigned char r2, unsigned char r3, unsigned char r4)
{
	pthread_mutex_lock(&p->mu);
	p->replies[0] = r1; p->replies[1] = r2; p->replies[2] = r3; p->replies[3] = r4;
	pthread_mutex_unlock(&p->mu);
}

void emu_set_silent(emu_printer *p, int silent)
{
	pthread_mutex_lock(&p->mu);
	p->silent = silent;
	pthread_mutex_unlock(&p->mu);
}

void emu_set_port_status(emu_printer *p, unsigned char status)
{
	pthread_mutex_lock(&p->mu);
	p->port_status = status;
	pthread_mutex_unlock(&p->mu);
}

void emu_set_unplugged(emu_printer *p, int unplugged)
{
	pthread_mutex_lock(&p->mu);
	p->unplugged = unplugged;
	if (unplugged)
		end_all(p, -ESHUTDOWN);
	else
		g_byte_array_set_size(p->in, 0);
	p->dle = 0;
	pthread_mutex_unlock(&p->mu);
}

int emu_unplugged(emu_printer *p)
{
	pthread_mutex_lock(&p->mu);
	int u = p->unplugged;
	pthread_mutex_unlock(&p->mu);
	return u;
}

void emu_fail_after(emu_printer *p, long bytes)
{
	pthread_mutex_lock(&p->mu);
	p->fail_after = bytes;
	pthread_mutex_unlock(&p->mu);
}

size_t emu_received(emu_printer *p, unsigned char *buf, size_t len)
{
	pthread_mutex_lock(&p->mu);
	size_t n = MIN(len, p->out->len);
	memcpy(buf, p->out->data, n);
	pthread_mutex_unlock(&p->mu);
	return n;
}

size_t emu_received_len(emu_printer *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->out->len;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void emu_reset(emu_printer *p)
{
	pthread_mutex_lock(&p->mu);
	g_byte_array_set_size(p->out, 0);
	g_byte_array_set_size(p->in, 0);
	p->queries = 0;
	p->dle = 0;
	pthread_mutex_unlock(&p->mu);
}

long emu_queries(emu_printer *p)
{
	pthread_mutex_lock(&p->mu);
	long n = p->queries;
	pthread_mutex_unlock(&p->mu);
	return n;
}

long emu_ioctls(emu_printer *p)
{
	pthread_mutex_lock(&p->mu);
	long n = p->ioctls;
	pthread_mutex_unlock(&p->mu);
	return n;
}
