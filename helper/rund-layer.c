// SPDX-License-Identifier: GPL-2.0
/*
 * rund-layer: a sandbox's writable layer as one reflink of a template image (RunD's rootfs
 * read/write split), handed to the VMM as an open file that nothing names.
 *
 * The layer is an unnamed file in the template's filesystem (O_TMPFILE; create + unlink
 * where O_TMPFILE is refused) whose blocks are all shared with the template (FICLONE: XFS
 * with reflink=1, btrfs): making it copies no data, and its space comes back when the last
 * fd of it closes. The usage text below (usage[]) is the reference.
 *
 * Failures name the bad input or the call that failed and exit 1; usage errors exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

static const char usage[] =
	"usage:\n"
	"  rund-layer [OPTIONS] TEMPLATE -- COMMAND [ARG...]\n"
	"  rund-layer [OPTIONS] --send SOCKET TEMPLATE\n"
	"  rund-layer spread TEMPLATE N\n"
	"  rund-layer help\n"
	"OPTIONS:\n"
	"  --fd N          the layer is COMMAND's fd N (default 3; qemu: -add-fd fd=3,set=1\n"
	"                  -drive file=/dev/fdset/1,...)\n"
	"  --send SOCKET   send the layer's fd to the process listening on unix socket SOCKET\n"
	"                  (SCM_RIGHTS, one byte 'L') instead of running a command\n"
	"  --spread N      clone one of TEMPLATE.0 .. TEMPLATE.N-1 (made by `spread`), picked at\n"
	"                  random: concurrent clones of one file serialise on its locks\n"
	"  --copy          where the filesystem cannot reflink, copy every byte (slow; labelled)\n"
	"  --no-tmpfile    create + unlink a named file instead of O_TMPFILE\n"
	"  --time          print how long making the layer took on stderr\n"
	"\n"
	"The layer lives in TEMPLATE's directory and filesystem, unnamed, sharing TEMPLATE's\n"
	"blocks until written; its space is freed when the last fd of it closes.\n"
	"spread: N reflinked copies TEMPLATE.0 .. TEMPLATE.N-1, each published whole.\n";

struct opts {
	int fd;			/* COMMAND's fd number of the layer */
	const char *send;	/* unix socket path, or NULL: exec COMMAND */
	unsigned int spread;	/* 0: TEMPLATE itself */
	bool copy, no_tmpfile, time;
};

/* Say why and exit @code: 1 a failure, 2 a usage error (with a pointer to the usage). */
static void __attribute__((format(printf, 2, 3), noreturn)) fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("rund-layer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(code == 2 ? "\n(rund-layer help: usage)\n" : "\n", stderr);
	exit(code);
}

static unsigned int parse_uint(const char *what, const char *s, unsigned int max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		fail(2, "%s: '%s' is not a number from 0 to %u", what, s, max);
	return v;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The directory of @path, into @buf. */
static const char *dir_of(const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s", path);
	return dirname(buf);
}

/*
 * An unnamed regular file in @dir, read-write. O_TMPFILE never has a name; filesystems
 * without it get a name for the instant between create and unlink (@how says which).
 */
static int layer_file(const char *dir, bool no_tmpfile, const char **how)
{
	char path[PATH_MAX];
	int fd = -1;

	if (!no_tmpfile) {
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*how = "O_TMPFILE";
			return fd;
		}
		if (errno != EOPNOTSUPP && errno != EISDIR)
			fail(1, "%s: O_TMPFILE: %s", dir, strerror(errno));
	}
	if (snprintf(path, sizeof(path), "%s/.rund-layer-XXXXXX", dir) >= (int)sizeof(path))
		fail(1, "%s: path too long", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		fail(1, "%s: creating the layer: %s", dir, strerror(errno));
	if (unlink(path))
		fail(1, "%s: unlinking the new layer: %s", path, strerror(errno));
	*how = "create+unlink";
	return fd;
}

/* A full copy of @src into @dst: read/write, never a remap (copy_file_range may reflink) */
static void copy_all(int dst, int src, const char *what)
{
	static char buf[1 << 20];
	ssize_t n, w;
	off_t off = 0;

	while ((n = pread(src, buf, sizeof(buf), off)) > 0) {
		for (w = 0; w < n;) {
			ssize_t k = pwrite(dst, buf + w, n - w, off + w);

			if (k < 0)
				fail(1, "copying %s: %s", what, strerror(errno));
			w += k;
		}
		off += n;
	}
	if (n < 0)
		fail(1, "reading %s: %s", what, strerror(errno));
}

/* Fill @dst with @template's blocks: a reflink, or with @copy a full copy where none. */
static const char *layer_fill(int dst, const char *template, bool copy)
{
	int src = open(template, O_RDONLY | O_CLOEXEC);

	if (src < 0)
		fail(1, "%s: %s", template, strerror(errno));
	if (!ioctl(dst, FICLONE, src)) {
		close(src);
		return "reflink";
	}
	/* EOPNOTSUPP, EINVAL (no reflink support), EXDEV: no block to share */
	if (!copy || (errno != EOPNOTSUPP && errno != EINVAL && errno != EXDEV))
		fail(1, "%s: its filesystem cannot reflink it (FICLONE: %s)%s", template,
		    strerror(errno), copy ? "" : "; --copy copies every byte instead");
	copy_all(dst, src, template);
	close(src);
	return "full copy";
}

/* TEMPLATE, or with --spread N one of TEMPLATE.0 .. TEMPLATE.N-1 at random */
static const char *pick_template(const char *template, unsigned int spread, char *buf,
				 size_t len)
{
	unsigned int r;

	if (!spread)
		return template;
	/* early in boot the pool may not be ready: the pid spreads well enough then */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = getpid();
	if (snprintf(buf, len, "%s.%u", template, r % spread) >= (int)len)
		fail(1, "%s: path too long", template);
	return buf;
}

/* Hand @fd to the listener on unix socket @path with SCM_RIGHTS, one byte 'L'. */
static void send_fd(const char *path, int fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c = {};
	struct iovec iov = { .iov_base = "L", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.buf, .msg_controllen = sizeof(c.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int s;

	if (strlen(path) >= sizeof(sa.sun_path))
		fail(2, "--send: '%s' is too long for a unix socket path", path);
	strcpy(sa.sun_path, path);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		fail(1, "--send %s: %s", path, strerror(errno));
	if (sendmsg(s, &msg, MSG_NOSIGNAL) != 1)
		fail(1, "--send %s: sendmsg: %s", path, strerror(errno));
	close(s);
}

/* COMMAND with the layer as its fd @o->fd */
static void run(const struct opts *o, int fd, char **argv)
{
	if (fd != o->fd) {
		if (dup2(fd, o->fd) < 0)
			fail(1, "--fd %d: %s", o->fd, strerror(errno));
		close(fd);
	} else if (fcntl(fd, F_SETFD, 0)) {
		fail(1, "--fd %d: %s", o->fd, strerror(errno));
	}
	execvp(argv[0], argv);
	fail(1, "%s: %s", argv[0], strerror(errno));
}

/* spread TEMPLATE N: each copy made unnamed, reflinked, then linked in whole */
static int do_spread(const char *template, unsigned int n)
{
	char dir[PATH_MAX], name[PATH_MAX], tmp[PATH_MAX + 8], proc[64];
	const char *how;
	unsigned int i;
	int fd;

	dir_of(template, dir, sizeof(dir));
	for (i = 0; i < n; i++) {
		if (snprintf(name, sizeof(name), "%s.%u", template, i) >= (int)sizeof(name))
			fail(1, "%s: path too long", template);
		snprintf(tmp, sizeof(tmp), "%s.new", name);
		fd = layer_file(dir, false, &how);
		/* an O_TMPFILE file can be linked in; a create+unlink one cannot */
		if (strcmp(how, "O_TMPFILE"))
			fail(1, "%s: spread needs O_TMPFILE in %s", name, dir);
		layer_fill(fd, template, false);
		if (fchmod(fd, 0644))
			fail(1, "%s: %s", name, strerror(errno));
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		/* linked under a temporary name, renamed over the old copy: never missing */
		unlink(tmp);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) || rename(tmp, name))
			fail(1, "%s: %s", name, strerror(errno));
		close(fd);
	}
	printf("rund-layer: %u copies %s.0 .. %s.%u\n", n, template, template, n - 1);
	return 0;
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "send", required_argument, NULL, 's' },
		{ "spread", required_argument, NULL, 'S' },
		{ "copy", no_argument, NULL, 'c' },
		{ "no-tmpfile", no_argument, NULL, 'n' },
		{ "time", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->fd = parse_uint("--fd", optarg, 1 << 20);
			if (o->fd < 3)
				fail(2, "--fd: %d is stdin, stdout or stderr", o->fd);
			break;
		case 's':
			o->send = optarg;
			break;
		case 'S':
			o->spread = parse_uint("--spread", optarg, 1024);
			if (!o->spread)
				fail(2, "--spread: want 1 or more copies");
			break;
		case 'c':
			o->copy = true;
			break;
		case 'n':
			o->no_tmpfile = true;
			break;
		case 't':
			o->time = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case ':':
			fail(2, "%s: wants a value", argv[optind - 1]);
		default:
			fail(2, "unknown option '%s'", argv[optind - 1]);
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o = { .fd = 3 };
	char dir[PATH_MAX], pick[PATH_MAX];
	const char *template, *how, *what;
	double t0;
	int fd;

	if (argc > 1 && !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "spread")) {
		if (argc != 4)
			fail(2, "spread: want TEMPLATE N");
		if (!parse_uint("spread N", argv[3], 1024))
			fail(2, "spread N: want 1 or more copies");
		return do_spread(argv[2], parse_uint("spread N", argv[3], 1024));
	}
	parse(argc, argv, &o);
	if (optind >= argc)
		fail(2, "want a TEMPLATE");
	template = argv[optind++];
	if (o.send && optind < argc)
		fail(2, "--send: no COMMAND (the layer goes to the socket)");
	if (!o.send && (optind >= argc || strcmp(argv[optind++], "--") || optind >= argc))
		fail(2, "want -- COMMAND after TEMPLATE (or --send SOCKET)");

	t0 = now_us();
	template = pick_template(template, o.spread, pick, sizeof(pick));
	fd = layer_file(dir_of(template, dir, sizeof(dir)), o.no_tmpfile, &how);
	what = layer_fill(fd, template, o.copy);
	if (o.time)
		fprintf(stderr, "rund-layer: layer of %s in %.1f us (%s, %s)\n", template,
			now_us() - t0, what, how);
	if (o.send) {
		send_fd(o.send, fd);
		return 0;
	}
	run(&o, fd, argv + optind);
	return 1;
}
