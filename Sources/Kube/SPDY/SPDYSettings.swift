/// A SETTINGS frame: ID/value pairs, each with its own flags.
public struct SPDYSettings: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// 24 bits on the wire.
        public var id: UInt32
        /// 0x1 FLAG_SETTINGS_PERSIST_VALUE, 0x2 FLAG_SETTINGS_PERSISTED.
        public var flags: UInt8
        public var value: UInt32

        public init(id: UInt32, flags: UInt8 = 0, value: UInt32) {
            self.id = id
            self.flags = flags
            self.value = value
        }

        public static let uploadBandwidth: UInt32 = 1
        public static let downloadBandwidth: UInt32 = 2
        public static let roundTripTime: UInt32 = 3
        public static let maxConcurrentStreams: UInt32 = 4
        public static let currentCwnd: UInt32 = 5
        public static let downloadRetransRate: UInt32 = 6
        public static let initialWindowSize: UInt32 = 7
        public static let clientCertificateVectorSize: UInt32 = 8
    }

    /// The frame's FLAG_SETTINGS_CLEAR_SETTINGS (0x1).
    public var clearSettings: Bool
    public var entries: [Entry]

    public init(clearSettings: Bool = false, entries: [Entry]) {
        self.clearSettings = clearSettings
        self.entries = entries
    }
}
