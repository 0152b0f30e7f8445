import Foundation

/// Finds the package's built executables and the package root.
///
/// The products directory is `$PORTCULLIS_BIN_DIR` when set, otherwise the directory of the running
/// test binary: SwiftPM puts the test bundle next to the products in `.build/<triple>/debug`.
public enum Products {
    public static let binDirectoryVariable = "PORTCULLIS_BIN_DIR"
    public static let sandboxName = "portcullis-sandbox"
    public static let gatewayName = "portcullis"

    /// The directory holding the built executables.
    public static func directory() throws -> String {
        if let configured = ProcessInfo.processInfo.environment[binDirectoryVariable], !configured.isEmpty {
            return configured
        }
        do {
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            return URL(fileURLWithPath: executable).deletingLastPathComponent().path
        } catch {
            throw HarnessError("cannot read /proc/self/exe to find the build products (\(error)); "
                + "set \(binDirectoryVariable) to the directory holding \(sandboxName)")
        }
    }

    /// The path of the built executable `name`, or an error saying how to build it.
    public static func executable(_ name: String) throws -> String {
        let path = try directory() + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("missing executable \(path): run `swift build --build-tests` first"
                + " (or set \(binDirectoryVariable) to the directory holding it)")
        }
        return path
    }

    /// `portcullis-sandbox`.
    public static func sandbox() throws -> String { try executable(sandboxName) }

    /// `portcullis`.
    public static func gateway() throws -> String { try executable(gatewayName) }

    /// The nearest directory above `filePath` that holds `Package.swift`.
    public static func packageRoot(from filePath: String = #filePath) throws -> String {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory.path
            }
            directory.deleteLastPathComponent()
        }
        throw HarnessError("no Package.swift in any directory above \(filePath)")
    }
}
