#ifndef PORTCULLIS_CNETFILTERQUEUE_SHIM_H
#define PORTCULLIS_CNETFILTERQUEUE_SHIM_H
// glibc's <netinet/in.h> first: it tells the kernel uapi headers (libc-compat.h) not to define
// in_addr and in6_addr again, so Swift sees one definition of each across modules.
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnetfilter_queue/linux_nfnetlink_queue.h>
#endif
