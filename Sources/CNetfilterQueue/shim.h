#ifndef PORTCULLIS_CNETFILTERQUEUE_SHIM_H
#define PORTCULLIS_CNETFILTERQUEUE_SHIM_H
#include <stdint.h>
#include <sys/types.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnetfilter_queue/linux_nfnetlink_queue.h>
#endif
