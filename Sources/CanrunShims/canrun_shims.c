#include "canrun_shims.h"

#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

/* libpci reports fatal errors through a callback that must not return. We jump back to the
   guarded call; the jump target and message buffer are per thread so concurrent probes of
   separate pci_access objects stay independent. */
static _Thread_local jmp_buf *canrun_pci_jump;
static _Thread_local char canrun_pci_message[256];

__attribute__((noreturn, format(printf, 1, 2))) static void canrun_pci_error(char *msg, ...) {
    va_list args;
    va_start(args, msg);
    vsnprintf(canrun_pci_message, sizeof canrun_pci_message, msg, args);
    va_end(args);
    if (canrun_pci_jump != NULL) {
        longjmp(*canrun_pci_jump, 1);
    }
    /* Unreachable in practice: every libpci entry point we call is guarded. */
    _exit(70);
}

__attribute__((format(printf, 1, 2))) static void canrun_pci_quiet(char *msg, ...) { (void)msg; }

static void canrun_copy_message(char *err, size_t err_len) {
    if (err != NULL && err_len > 0) {
        snprintf(err, err_len, "%s", canrun_pci_message);
    }
}

struct pci_access *canrun_pci_open(int method, const char *path, const char *ids_file, char *err, size_t err_len) {
    struct pci_access *access = pci_alloc();
    if (access == NULL) {
        snprintf(err, err_len, "libpci could not allocate its access object");
        return NULL;
    }
    access->error = canrun_pci_error;
    access->warning = canrun_pci_quiet;
    access->debug = canrun_pci_quiet;
    jmp_buf jump;
    canrun_pci_jump = &jump;
    if (setjmp(jump) != 0) {
        canrun_pci_jump = NULL;
        canrun_copy_message(err, err_len);
        /* pci_cleanup after a failed init may touch half-built state; leaking is the safe choice. */
        return NULL;
    }
    if (method == CANRUN_PCI_DUMP) {
        access->method = PCI_ACCESS_DUMP;
        pci_set_param(access, "dump.name", (char *)path);
    } else {
        access->method = PCI_ACCESS_SYS_BUS_PCI;
        pci_set_param(access, "sysfs.path", (char *)path);
    }
    pci_set_param(access, "hwdb.disable", "1");
    if (ids_file != NULL) {
        pci_set_name_list_path(access, strdup(ids_file), 1);
    }
    pci_init(access);
    pci_scan_bus(access);
    canrun_pci_jump = NULL;
    return access;
}

int canrun_pci_fill(struct pci_access *access, struct pci_dev *dev, int flags, char *err, size_t err_len) {
    (void)access;
    jmp_buf jump;
    canrun_pci_jump = &jump;
    if (setjmp(jump) != 0) {
        canrun_pci_jump = NULL;
        canrun_copy_message(err, err_len);
        return -1;
    }
    int known = pci_fill_info(dev, flags);
    canrun_pci_jump = NULL;
    return known;
}

void canrun_pci_close(struct pci_access *access) {
    if (access != NULL) {
        pci_cleanup(access);
    }
}

static const char *canrun_lookup_guarded(struct pci_access *access, char *buf, int size, int flags, int a, int b) {
    jmp_buf jump;
    canrun_pci_jump = &jump;
    if (setjmp(jump) != 0) {
        canrun_pci_jump = NULL;
        return NULL;
    }
    const char *name = pci_lookup_name(access, buf, size, flags | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB, a, b);
    canrun_pci_jump = NULL;
    return name;
}

const char *canrun_pci_vendor_name(struct pci_access *access, char *buf, int size, int vendor) {
    return canrun_lookup_guarded(access, buf, size, PCI_LOOKUP_VENDOR, vendor, 0);
}

const char *canrun_pci_device_name(struct pci_access *access, char *buf, int size, int vendor, int device) {
    return canrun_lookup_guarded(access, buf, size, PCI_LOOKUP_DEVICE, vendor, device);
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
uint64_t canrun_xcr0(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || (ecx & (1u << 27)) == 0) {
        return 0; /* no OSXSAVE: the OS manages no extended state */
    }
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#else
uint64_t canrun_xcr0(void) { return 0; }
#endif

#if defined(__x86_64__) && defined(__linux__)
#define CANRUN_ARCH_GET_XCOMP_SUPP 0x1021
#define CANRUN_ARCH_REQ_XCOMP_PERM 0x1023
#define CANRUN_XFEATURE_XTILEDATA 18
int canrun_amx_permitted(void) {
    uint64_t supported = 0;
    if (syscall(SYS_arch_prctl, CANRUN_ARCH_GET_XCOMP_SUPP, &supported) != 0) {
        return 0;
    }
    if ((supported & (1ull << CANRUN_XFEATURE_XTILEDATA)) == 0) {
        return 0;
    }
    return syscall(SYS_arch_prctl, CANRUN_ARCH_REQ_XCOMP_PERM, CANRUN_XFEATURE_XTILEDATA) == 0 ? 1 : 0;
}
#else
int canrun_amx_permitted(void) { return -1; }
#endif
