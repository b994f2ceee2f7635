// SPDX-License-Identifier: GPL-2.0
/*
 * rund-gcheck: small guest-side probes for the rund-guest kernel functional test
 * (guest-kconfig/test/run.sh). Static, so it also runs inside the test's container root.
 *
 *   rund-gcheck vsock-loopback   echo a message over AF_VSOCK to CID 1 (loopback transport)
 *   rund-gcheck vsock-host PORT  connect to the host (CID 2) PORT, send a line, read it back
 *   rund-gcheck seccomp          install a filter making getppid() fail with EPERM, check it
 *   rund-gcheck alloc MB         allocate and touch MB MiB (a memory limit should kill it)
 *   rund-gcheck forks N          fork N children that sleep 2 s; print how many forks
 *                                succeeded and how many failed with EAGAIN (pids.max)
 *
 * Exit 0 on success; 1 with a message on stderr otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/vm_sockets.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "rund-gcheck: %s: %s\n", what, strerror(errno));
	return 1;
}

static int vsock_connect(unsigned int cid, unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int vsock_loopback(void)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = 5000 };
	const char msg[] = "rund-vsock-ping";
	char buf[64] = { 0 };
	int lfd, cfd, afd, status;
	ssize_t n;
	pid_t pid;

	lfd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (lfd < 0)
		return fail("socket(AF_VSOCK)");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("bind vsock port 5000");
	if (listen(lfd, 1) < 0)
		return fail("listen");
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		/* echo server: one connection, one message */
		afd = accept(lfd, NULL, NULL);
		if (afd < 0)
			_exit(2);
		n = read(afd, buf, sizeof(buf));
		if (n <= 0 || write(afd, buf, (size_t)n) != n)
			_exit(3);
		close(afd);
		_exit(0);
	}
	close(lfd);
	cfd = vsock_connect(VMADDR_CID_LOCAL, 5000);
	if (cfd < 0)
		return fail("connect to CID 1 port 5000");
	if (write(cfd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return fail("write");
	n = read(cfd, buf, sizeof(buf) - 1);
	if (n != (ssize_t)sizeof(msg) || memcmp(buf, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "rund-gcheck: vsock echo mismatch (%zd bytes)\n", n);
		return 1;
	}
	close(cfd);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "rund-gcheck: vsock echo server failed\n");
		return 1;
	}
	printf("vsock loopback echo ok (%zd bytes)\n", n);
	return 0;
}

static int vsock_host(unsigned int port)
{
	const char msg[] = "rund-vsock-host-ping\n";
	char buf[64] = { 0 };
	ssize_t n;
	int fd = vsock_connect(VMADDR_CID_HOST, port);

	if (fd < 0)
		return fail("connect to host CID 2");
	if (write(fd, msg, sizeof(msg) - 1) != (ssize_t)(sizeof(msg) - 1))
		return fail("write");
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return fail("read");
	printf("host replied: %s", buf);
	close(fd);
	return 0;
}

static int seccomp_check(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	long r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail("PR_SET_NO_NEW_PRIVS");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return fail("seccomp(SECCOMP_SET_MODE_FILTER)");
	r = syscall(SYS_getppid);
	if (r != -1 || errno != EPERM) {
		fprintf(stderr, "rund-gcheck: getppid returned %ld, filter not applied\n", r);
		return 1;
	}
	printf("seccomp filter ok: getppid -> EPERM\n");
	return 0;
}

static int alloc(long mb)
{
	size_t len = (size_t)mb << 20;
	char *p = malloc(len);

	if (!p)
		return fail("malloc");
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	printf("touched %ld MiB\n", mb);
	free(p);
	return 0;
}

static int forks(long n)
{
	long ok = 0, eagain = 0;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			sleep(2);
			_exit(0);
		}
		if (pid > 0)
			ok++;
		else if (errno == EAGAIN)
			eagain++;
		else
			return fail("fork");
	}
	while (wait(NULL) > 0)
		;
	printf("forked %ld of %ld, EAGAIN %ld\n", ok, n, eagain);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "vsock-loopback") == 0)
		return vsock_loopback();
	if (argc >= 3 && strcmp(argv[1], "vsock-host") == 0)
		return vsock_host((unsigned int)strtoul(argv[2], NULL, 0));
	if (argc >= 2 && strcmp(argv[1], "seccomp") == 0)
		return seccomp_check();
	if (argc >= 3 && strcmp(argv[1], "alloc") == 0)
		return alloc(strtol(argv[2], NULL, 0));
	if (argc >= 3 && strcmp(argv[1], "forks") == 0)
		return forks(strtol(argv[2], NULL, 0));
	fprintf(stderr, "usage: rund-gcheck vsock-loopback | vsock-host PORT | seccomp | alloc MB"
		" | forks N\n");
	return 2;
}
