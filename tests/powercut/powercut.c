/*
 * powercut.so — an LD_PRELOAD shim for the power-cut test (tests/tests/durability.rs).
 *
 * For every write to a regular file under $POWERCUT_DIR it first appends, to the journal at
 * $POWERCUT_JOURNAL, what the write is about to overwrite (the old bytes and the old file size);
 * for every fsync/fdatasync of such a file it appends a SYNC mark. After the process is
 * SIGKILLed, `tests::powercut::cut_power` undoes, file by file and newest first, every write made
 * after that file's last SYNC: the files are left as a power cut would leave them if the disk
 * kept nothing that was not fsynced. sync_file_range is deliberately NOT a SYNC: it writes
 * pages out but flushes neither the file's size nor the disk's cache (its man page: "no
 * guarantees that the data will be available after a crash").
 *
 * The journal record and the write it describes are made under one lock, so the journal's
 * order is the order in which the writes happened; fsync holds the lock too, so a write made
 * during an fsync is never counted as synced. Directory operations (rename, unlink, create)
 * are not modelled.
 *
 * Record: "PCUT" | kind u8 (1 write, 2 sync) | path_len u16 | path | offset u64 | old_size u64 |
 *         old_len u64 | old bytes (little endian).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int journal = -1;
static char dir[PATH_MAX];
static size_t dir_len;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static void init(void) {
    static int done;
    if (done) return;
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_pread64 = dlsym(RTLD_NEXT, "pread64");
    real_writev = dlsym(RTLD_NEXT, "writev");
    real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    const char *d = getenv("POWERCUT_DIR");
    const char *j = getenv("POWERCUT_JOURNAL");
    if (d && j && strlen(d) < sizeof dir) {
        if (!realpath(d, dir)) {
            /* The folder may not exist yet: keep the name as given. */
            strncpy(dir, d, sizeof dir - 1);
        }
        dir_len = strlen(dir);
        journal = open(j, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (journal < 0) {
            fprintf(stderr, "powercut: cannot open the journal %s\n", j);
            abort();
        }
    }
    done = 1;
}

/* The path of `fd` if it is a regular file under the watched folder (0), else -1. */
static int watched(int fd, char *path, size_t cap) {
    if (journal < 0) return -1;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, cap - 1);
    if (n <= 0) return -1;
    path[n] = 0;
    if ((size_t)n <= dir_len || strncmp(path, dir, dir_len) != 0 || path[dir_len] != '/') return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    return 0;
}

static void put(const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = real_write(journal, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "powercut: journal write failed\n");
            abort();
        }
        c += w;
        n -= (size_t)w;
    }
}

static void record(uint8_t kind, const char *path, int fd, uint64_t offset, uint64_t len) {
    uint64_t old_size = 0, old_len = 0;
    char *old = NULL;
    if (kind == 1) {
        struct stat st;
        if (fstat(fd, &st) == 0) old_size = (uint64_t)st.st_size;
        if (offset < old_size) {
            old_len = old_size - offset < len ? old_size - offset : len;
            old = malloc(old_len ? old_len : 1);
            ssize_t r = real_pread64(fd, old, old_len, (off_t)offset);
            if (r != (ssize_t)old_len) {
                fprintf(stderr, "powercut: cannot read what a write overwrites\n");
                abort();
            }
        }
    }
    uint16_t plen = (uint16_t)strlen(path);
    put("PCUT", 4);
    put(&kind, 1);
    put(&plen, 2);
    put(path, plen);
    put(&offset, 8);
    put(&old_size, 8);
    put(&old_len, 8);
    if (old_len) put(old, old_len);
    free(old);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t offset) {
    init();
    char path[PATH_MAX];
    if (watched(fd, path, sizeof path) != 0) return real_pwrite64(fd, buf, n, offset);
    pthread_mutex_lock(&lock);
    record(1, path, fd, (uint64_t)offset, n);
    ssize_t r = real_pwrite64(fd, buf, n, offset);
    pthread_mutex_unlock(&lock);
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset) {
    return pwrite64(fd, buf, n, offset);
}

ssize_t write(int fd, const void *buf, size_t n) {
    init();
    char path[PATH_MAX];
    if (watched(fd, path, sizeof path) != 0) return real_write(fd, buf, n);
    pthread_mutex_lock(&lock);
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (fcntl(fd, F_GETFL) & O_APPEND) {
        struct stat st;
        at = fstat(fd, &st) == 0 ? st.st_size : at;
    }
    record(1, path, fd, (uint64_t)at, n);
    ssize_t r = real_write(fd, buf, n);
    pthread_mutex_unlock(&lock);
    return r;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
    init();
    char path[PATH_MAX];
    if (watched(fd, path, sizeof path) != 0) return real_writev(fd, iov, cnt);
    size_t n = 0;
    for (int i = 0; i < cnt; i++) n += iov[i].iov_len;
    pthread_mutex_lock(&lock);
    off_t at = lseek(fd, 0, SEEK_CUR);
    record(1, path, fd, (uint64_t)at, n);
    ssize_t r = real_writev(fd, iov, cnt);
    pthread_mutex_unlock(&lock);
    return r;
}

int ftruncate64(int fd, off_t len) {
    init();
    char path[PATH_MAX];
    if (watched(fd, path, sizeof path) != 0) return real_ftruncate64(fd, len);
    pthread_mutex_lock(&lock);
    struct stat st;
    uint64_t size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    /* Shrinking loses [len, size); growing overwrites nothing. */
    if ((uint64_t)len < size) record(1, path, fd, (uint64_t)len, size - (uint64_t)len);
    else record(1, path, fd, size, 0);
    int r = real_ftruncate64(fd, len);
    pthread_mutex_unlock(&lock);
    return r;
}

int ftruncate(int fd, off_t len) {
    return ftruncate64(fd, len);
}

static int synced(int fd, int (*real)(int)) {
    init();
    char path[PATH_MAX];
    if (watched(fd, path, sizeof path) != 0) return real(fd);
    pthread_mutex_lock(&lock);
    int r = real(fd);
    if (r == 0) record(2, path, fd, 0, 0);
    pthread_mutex_unlock(&lock);
    return r;
}

int fsync(int fd) {
    init();
    return synced(fd, real_fsync);
}

int fdatasync(int fd) {
    init();
    return synced(fd, real_fdatasync);
}
