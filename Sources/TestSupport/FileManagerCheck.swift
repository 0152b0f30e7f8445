import Foundation

/// Small file-system predicates shared by the prerequisite checks.
enum FileManagerCheck {
    static func isExecutable(_ path: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: path)
    }
}
