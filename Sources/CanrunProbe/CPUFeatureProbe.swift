import CanrunCore
import CanrunShims
import Foundation

/// Asks this CPU and kernel which register state they enable (XCR0) and whether AMX tiles are
/// granted to this process; only meaningful on the live machine.
public enum CPUFeatureProbe {
    public static func osSupport() -> ISAAssessment.OSSupport {
        #if arch(x86_64)
        let amx = canrun_amx_permitted()
        return ISAAssessment.OSSupport(xcr0: canrun_xcr0(), amxPermitted: amx < 0 ? nil : amx == 1)
        #else
        return ISAAssessment.OSSupport()
        #endif
    }

    /// `uname -m`.
    public static func machineArchitecture() -> String? {
        var names = utsname()
        guard uname(&names) == 0 else { return nil }
        return withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
