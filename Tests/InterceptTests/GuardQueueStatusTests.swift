import Foundation
import Testing

@testable import Intercept

@Suite struct GuardQueueStatusTests {
    /// As the kernel prints it (`"%5u %6u %5u %1u %5u %5u %5u %8u %2d\n"`): queue 0 bound by a
    /// packet-copying listener, queue 4242 by the guard (after a flood: drops, a long id sequence).
    static let sample = """
            0  31337     0 2 65531     0     0        0  1
         4242 3456789012    17 2   128    12     3 4294967295  1

        """

    @Test func parsesEveryColumn() throws {
        let statuses = try QueueStatus.parse(Self.sample)
        #expect(statuses.count == 2)
        #expect(statuses.first == QueueStatus(queue: 0, peerPortID: 31337, waiting: 0, copyMode: 2, copyRange: 65531,
                                              queueDropped: 0, userDropped: 0, idSequence: 0))
        #expect(statuses.last == QueueStatus(queue: 4242, peerPortID: 3_456_789_012, waiting: 17, copyMode: 2,
                                             copyRange: 128, queueDropped: 12, userDropped: 3, idSequence: 4_294_967_295))
    }

    @Test func emptyFileMeansNoQueues() throws {
        #expect(try QueueStatus.parse("").isEmpty)
        #expect(try QueueStatus.parse("\n").isEmpty)
    }

    @Test func malformedLineIsAnErrorNamingTheLine() {
        #expect {
            try QueueStatus.parse("    0  31337     0 2 65531     0     0        0  1\n 4242 abc 0 2 128 0 0 0 1\n", source: "sample")
        } throws: { error in
            let text = "\(error)"
            return text.contains("sample") && text.contains("line 2") && text.contains("abc")
        }
        #expect(throws: QueueStatusError.self) { try QueueStatus.parse("4242 1 0 2 128 0 0 0\n") }  // 8 columns
        #expect(throws: QueueStatusError.self) { try QueueStatus.parse("70000 1 0 2 128 0 0 0 1\n") }  // not a queue number
    }

    @Test func readFindsTheQueueOrNil() throws {
        let path = try Self.temporaryFile(Self.sample)
        defer { unlink(path) }
        #expect(try QueueStatus.read(queue: 4242, path: path)?.peerPortID == 3_456_789_012)
        #expect(try QueueStatus.read(queue: 0, path: path)?.copyRange == 65531)
        #expect(try QueueStatus.read(queue: 7, path: path) == nil)
        #expect(try QueueStatus.readAll(path: path).map(\.queue) == [0, 4242])
    }

    @Test func missingFileMeansNoListener() throws {
        #expect(try QueueStatus.read(queue: 4242, path: "/nonexistent/portcullis/nfnetlink_queue") == nil)
    }

    @Test func unreadableFileIsAnError() {
        // A directory cannot be read as the file.
        #expect(throws: QueueStatusError.self) { try QueueStatus.read(queue: 4242, path: "/proc/self") }
    }

    @Test func theRealFileParsesOrSaysWhyNot() {
        // Whatever queues this machine has bound (possibly none), the kernel's own text must parse.
        // The file is mode 0440 root, so other users must get an error that says so.
        do {
            _ = try QueueStatus.readAll()
        } catch {
            #expect(geteuid() != 0, "root must be able to read it: \(error)")
            #expect(error.description.contains("Permission denied (the kernel lets only root read it)"), "\(error)")
        }
    }

    static func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "portcullis-nfqueue-\(getpid())-\(UUID().uuidString)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
