import CanrunCore
import Testing

struct MeminfoParserTests {
    /// Lines as the kernel prints them (fs/proc/meminfo.c): values in kB, meaning KiB.
    @Test func readsTotalAndAvailableInBytes() {
        let text = "MemTotal:       24684092 kB\nMemFree:        23851428 kB\nMemAvailable:   24391680 kB\n"
        let meminfo = MeminfoParser.parse(text)
        #expect(meminfo.totalBytes == Int64(24_684_092) * 1024)
        #expect(meminfo.availableBytes == Int64(24_391_680) * 1024)
    }

    @Test func readsPerNodeFiles() {
        let meminfo = MeminfoParser.parse("Node 1 MemTotal:       67108864 kB\nNode 1 MemFree:  1 kB\n")
        #expect(meminfo.totalBytes == 68_719_476_736)
        #expect(meminfo.availableBytes == 1024)
    }

    @Test func garbageGivesUnknownNotZero() {
        let meminfo = MeminfoParser.parse("\u{0}\u{1}not meminfo\nMemTotal: lots\n")
        #expect(meminfo.totalBytes == nil)
        #expect(meminfo.availableBytes == nil)
    }
}
