import ArgumentParser
import CanrunClient
import CanrunCore
import CanrunProbe
import Foundation

/// `canrun config check|show`: canrund's configuration as the daemon would read it.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check or show canrund's configuration (canrun.toml and its drop-ins).",
        subcommands: [Check.self, Show.self]
    )

    struct Where: ParsableArguments {
        @Option(
            help: ArgumentHelp(
                "Read canrun.toml and canrun.toml.d/ from this folder only (default: /usr/lib/canrun, then /etc/canrun).",
                valueName: "DIR"
            )
        )
        var config: String?

        func load() throws -> DaemonConfig.Loaded {
            // A folder asked for by name must be there: checking one that is not would pass
            // and say the defaults apply.
            if let config {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: config, isDirectory: &isDirectory), isDirectory.boolValue
                else {
                    throw CLIError(
                        message: "--config \(config): no such folder (it names the folder holding canrun.toml)"
                    )
                }
            }
            let directories = ConfigFiles.directories(option: config, environment: ProcessInfo.processInfo.environment)
            do {
                return try ConfigFiles.load(directories: directories)
            } catch {
                throw CLIError(message: "\(error)")
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exit 0 when the configuration would load (warnings on stderr), 2 with the reason when not.",
            discussion: """
                Example:
                  sudo canrun config check && sudo systemctl reload canrund
                """
        )

        @OptionGroup var where_: Where

        func run() throws {
            try reportingCLIErrors {
                let loaded = try where_.load()
                for warning in loaded.warnings {
                    FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
                }
                print(
                    loaded.files.isEmpty
                        ? "no configuration files: the defaults apply" : "ok: \(loaded.files.joined(separator: ", "))"
                )
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration, every key, and the files it came from."
        )

        @OptionGroup var where_: Where

        func run() throws {
            try reportingCLIErrors {
                let loaded = try where_.load()
                print("# from: \(loaded.files.isEmpty ? "defaults only" : loaded.files.joined(separator: ", "))")
                print(loaded.config.toml, terminator: "")
            }
        }
    }
}

/// `canrun admin reload|rebench|health`: ask the running daemon to change state (root or its
/// user), or whether it answers.
struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Ask canrund to reload its configuration or re-measure the bandwidth, or whether it answers.",
        discussion: """
            canrund's ExecReload= runs `canrun admin reload`, which waits for the result.
            Example:
              sudo canrun admin rebench
            """,
        subcommands: [Reload.self, Rebench.self, Health.self]
    )

    struct Target: ParsableArguments {
        @Option(help: ArgumentHelp("canrund's socket.", valueName: "PATH"))
        var socket: String?

        func send(_ method: String, _ path: String, timeoutSeconds: Int = 60) throws {
            guard let socketPath = DaemonOptions.socketPath(socket) else {
                throw CLIError(message: "no socket: pass --socket PATH or set CANRUN_SOCKET")
            }
            guard let answer = DaemonClient(path: socketPath, timeoutSeconds: timeoutSeconds).request(method, path)
            else {
                throw CLIError(
                    message: "canrund does not answer on \(socketPath): is it running? (systemctl status canrund)"
                )
            }
            let body = String(decoding: answer.body, as: UTF8.self)
            guard (200..<300).contains(answer.status) else {
                FileHandle.standardError.write(Data(body.utf8))
                throw ExitCode(1)
            }
            print(body, terminator: "")
        }
    }

    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-read the configuration and the catalog, re-probe the machine; exit 1 when refused."
        )
        @OptionGroup var target: Target
        func run() throws { try reportingCLIErrors { try target.send("POST", "/v1/admin/reload") } }
    }

    /// For liveness probes and scripts: any user may ask.
    struct Health: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print canrund's /v1/health; exit 0 when it answers, non-zero when it does not."
        )
        @OptionGroup var target: Target
        func run() throws { try reportingCLIErrors { try target.send("GET", "/v1/health", timeoutSeconds: 5) } }
    }

    struct Rebench: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-measure the memory bandwidth (a few seconds).")
        @OptionGroup var target: Target
        func run() throws { try reportingCLIErrors { try target.send("POST", "/v1/bandwidth") } }
    }
}
