import CNetfilterQueue
import Glibc
import Synchronization

/// What the C callback needs for one run of the guard: where dropped packets go, interface names,
/// and the counters. Passed to `nfq_create_queue` as an `Unmanaged` pointer that the guard keeps
/// retained while the queue exists.
final class QueueCallbackContext: Sendable {
    let onDrop: @Sendable (DroppedPacket) -> Void
    let interfaceNames: InterfaceNames
    let packets = Atomic<Int>(0)
    let verdictFailures = Atomic<Int>(0)
    let missingPacketHeaders = Atomic<Int>(0)

    init(onDrop: @escaping @Sendable (DroppedPacket) -> Void, interfaceNames: InterfaceNames) {
        self.onDrop = onDrop
        self.interfaceNames = interfaceNames
    }

    /// One queued packet: the verdict first, then the report.
    ///
    /// Invariant: NF_DROP is given as soon as the packet id is known, before anything else is read,
    /// so the verdict depends on nothing (not parsing, not the reporter). The attributes read after
    /// it stay valid: they live in the receive buffer, not in the kernel.
    func handle(queue queueHandle: OpaquePointer, packet data: OpaquePointer) {
        guard let header = nfq_get_msg_packet_hdr(data) else {
            // No id, so no verdict is possible; the kernel drops the packet when the queue goes away.
            missingPacketHeaders.add(1, ordering: .relaxed)
            return
        }
        // `packet_id` is the first field of the packed nfqnl_msg_packet_hdr, in network byte order.
        let id = UInt32(bigEndian: UnsafeRawPointer(header).loadUnaligned(as: UInt32.self))
        if nfq_set_verdict(queueHandle, id, Intercept.dropVerdict, 0, nil) < 0 {
            verdictFailures.add(1, ordering: .relaxed)
        }
        packets.add(1, ordering: .relaxed)
        onDrop(describe(data))
    }

    /// Reads the attributes of a queued packet.
    func describe(_ data: OpaquePointer) -> DroppedPacket {
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        let hasUID = nfq_get_uid(data, &uid) == 1
        let hasGID = nfq_get_gid(data, &gid) == 1
        var payload: UnsafeMutablePointer<UInt8>?
        let length = nfq_get_payload(data, &payload)
        let flow: Flow? = if let payload, length > 0 {
            PacketHeaders.flow(of: UnsafeRawBufferPointer(start: payload, count: Int(length)))
        } else {
            nil
        }
        return DroppedPacket(time: GuardClock.wallTime(), flow: flow, uid: hasUID ? uid : nil, gid: hasGID ? gid : nil,
                             inInterface: interfaceNames.name(of: nfq_get_indev(data)),
                             outInterface: interfaceNames.name(of: nfq_get_outdev(data)))
    }
}

/// The `nfq_callback` handed to `nfq_create_queue`. Returns 0 always: a negative value would make
/// `nfq_handle_packet` report an error, and there is nothing the loop could do about it.
let queueCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<nfgenmsg>?, OpaquePointer?,
                                   UnsafeMutableRawPointer?) -> Int32 = { queueHandle, _, data, context in
    guard let queueHandle, let data, let context else { return 0 }
    Unmanaged<QueueCallbackContext>.fromOpaque(context).takeUnretainedValue().handle(queue: queueHandle, packet: data)
    return 0
}
