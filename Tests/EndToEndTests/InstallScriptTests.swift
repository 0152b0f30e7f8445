import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// scripts/install.sh and scripts/uninstall.sh into a throwaway tree (`--root`): the user, the
    /// configuration, the CA, the modes, the enabled unit; a second install changes nothing; the
    /// uninstall reverses it and keeps the recordings unless --purge.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct InstallScriptTests {
        static func tree() throws -> TemporaryDirectory {
            let tree = try TemporaryDirectory.create(purpose: "install")
            let etc = try tree.makeDirectory("etc")
            for (name, text, mode) in [("passwd", "root:x:0:0:root:/root:/bin/bash\n", 0o644), ("group", "root:x:0:\n", 0o644),
                                       ("shadow", "root:*:19000:0:99999:7:::\n", 0o600), ("gshadow", "root:*::\n", 0o600)] {
                let path = etc + "/" + name
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                guard chmod(path, mode_t(mode)) == 0 else { throw HarnessError("cannot chmod \(path)") }
            }
            return tree
        }

        /// Every path with its mode, owner, group and size.
        static func snapshot(_ root: String) throws -> String {
            try HostCommand.check("/usr/bin/find", [root, "-printf", "%P %m %U %G %s\n"]).standardOutput
                .split(separator: "\n").sorted().joined(separator: "\n")
        }

        static func mode(_ path: String) -> (mode: Int, uid: UInt32, gid: UInt32)? {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return (Int(info.st_mode & 0o7777), info.st_uid, info.st_gid)
        }

        @Test("install.sh lays out the host and enables the unit, again changes nothing, and uninstall.sh reverses it")
        func installAndUninstall() throws {
            let tree = try Self.tree()
            defer { tree.remove() }
            let root = try Products.packageRoot()
            let install = try HostCommand.run(root + "/scripts/install.sh", ["--root", tree.path, "--binary", try Products.gateway()],
                                              timeout: .seconds(120))
            #expect(install.status.isSuccess, "\(install)")
            #expect(install.standardOutput.contains("Portcullis is installed. Next:"))

            let passwd = try String(contentsOfFile: tree.path("etc/passwd"), encoding: .utf8)
            let user = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("portcullis:") }?.split(separator: ":", omittingEmptySubsequences: false))
            let uid = try #require(UInt32(user[2]))
            let group = try String(contentsOfFile: tree.path("etc/group"), encoding: .utf8)
            let adminGID = try #require(group.split(separator: "\n").first { $0.hasPrefix("portcullis-admin:") }
                .flatMap { UInt32($0.split(separator: ":")[2]) })
            #expect(user.last == "/usr/sbin/nologin")

            let config = try String(contentsOfFile: tree.path("etc/portcullis/portcullis.yaml"), encoding: .utf8)
            #expect(config.contains("  uid: \(uid)\n") && config.contains("group: \"\(adminGID)\""))
            let check = try HostCommand.run(tree.path("usr/local/bin/portcullis"), ["policy", "check", "--config", tree.path("etc/portcullis/portcullis.yaml")])
            #expect(check.status.isSuccess, "the installed policy is valid: \(check)")
            #expect(Self.mode(tree.path("etc/portcullis/ca.key"))?.mode == 0o600 && Self.mode(tree.path("etc/portcullis/ca.key"))?.uid == uid)
            #expect(Self.mode(tree.path("var/lib/portcullis"))?.mode == 0o751)
            let admin = Self.mode(tree.path("var/lib/portcullis/admin"))
            #expect(admin?.mode == 0o2750 && admin?.gid == adminGID, "\(String(describing: admin))")
            let unit = try String(contentsOfFile: tree.path("etc/systemd/system/portcullis.service"), encoding: .utf8)
            #expect(unit.contains("ExecStart=/usr/local/bin/portcullis up --config /etc/portcullis/portcullis.yaml"))
            let enabled = try FileManager.default.destinationOfSymbolicLink(atPath: tree.path("etc/systemd/system/multi-user.target.wants/portcullis.service"))
            #expect(enabled.hasSuffix("portcullis.service"))

            let before = try Self.snapshot(tree.path)
            let again = try HostCommand.run(root + "/scripts/install.sh", ["--root", tree.path, "--binary", try Products.gateway()],
                                            timeout: .seconds(120))
            #expect(again.status.isSuccess, "\(again)")
            #expect(try Self.snapshot(tree.path) == before, "a second install changes nothing")

            let recording = try tree.write("recorded", to: "var/lib/portcullis/recording.sqlite")
            let uninstall = try HostCommand.run(root + "/scripts/uninstall.sh", ["--root", tree.path])
            #expect(uninstall.status.isSuccess, "\(uninstall)")
            for gone in ["usr/local/bin/portcullis", "etc/portcullis", "etc/systemd/system/portcullis.service",
                         "etc/systemd/system/multi-user.target.wants/portcullis.service"] {
                #expect(!FileManager.default.fileExists(atPath: tree.path(gone)), "\(gone) is removed")
            }
            #expect(!(try String(contentsOfFile: tree.path("etc/passwd"), encoding: .utf8)).contains("portcullis"))
            #expect(!(try String(contentsOfFile: tree.path("etc/group"), encoding: .utf8)).contains("portcullis"))
            #expect(FileManager.default.fileExists(atPath: recording), "the recordings are kept")
            let purge = try HostCommand.run(root + "/scripts/uninstall.sh", ["--root", tree.path, "--purge"])
            #expect(purge.status.isSuccess && !FileManager.default.fileExists(atPath: tree.path("var/lib/portcullis")), "\(purge)")
        }
    }
}
