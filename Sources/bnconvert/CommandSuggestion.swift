import Foundation

/// Converting is the default subcommand (`bnconvert in.h5 out.bnm`), so a mistyped subcommand
/// would otherwise be read as an input file name ("inspekt: cannot open: no such file").
///
/// The rule: the first argument is taken for a mistyped subcommand when it
/// - is not a subcommand name and does not start with `-`,
/// - is not an existing file or folder,
/// - has no `/` and no `.` (every file bnconvert reads has an extension), and
/// - is close to exactly one subcommand name: at most two edits (insert, delete, replace or
///   swap two neighbours; one edit for names of four letters or fewer), ignoring case, or a
///   prefix of at least three letters of one name.
/// Anything else is left to the parser, so a file without an extension still converts.
enum CommandSuggestion {
    static let names = ["convert", "inspect", "validate", "verify", "help"]

    /// The subcommand `argument` was probably meant to be, if the rule above says so.
    static func suggestion(for arguments: [String]) -> (typed: String, meant: String)? {
        guard let first = arguments.first, !first.hasPrefix("-"), !names.contains(first),
              !first.contains("/"), !first.contains("."), !first.isEmpty,
              !FileManager.default.fileExists(atPath: first) else { return nil }
        let typed = first.lowercased()
        let close = names.filter { name in
            if typed.count >= 3, name.hasPrefix(typed) { return true }
            let limit = name.count <= 4 ? 1 : 2
            return editDistance(typed, name) <= limit
        }
        guard close.count == 1 else { return nil }
        return (first, close[0])
    }

    /// Optimal string alignment distance (Levenshtein plus swaps of neighbouring letters).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
