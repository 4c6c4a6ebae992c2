import CanrunCore
import Testing

/// canrund's retries of a provisional bandwidth reading (issue 13): 5 minutes, doubling to at
/// most 6 hours while the machine stays busy, from 5 minutes again once a reading is quiet.
struct RemeasureScheduleTests {
    @Test func triesBackOffToSixHoursAndResetOnAQuietReading() {
        var schedule = RemeasureSchedule()
        #expect(schedule.next == .seconds(300))
        var waits: [Duration] = []
        for _ in 0..<9 {
            schedule.backOff()
            waits.append(schedule.next)
        }
        #expect(
            waits == [600, 1200, 2400, 4800, 9600, 19200, 21600, 21600, 21600].map { Duration.seconds($0) }
        )
        schedule.reset()
        #expect(schedule.next == RemeasureSchedule.first)
    }
}
