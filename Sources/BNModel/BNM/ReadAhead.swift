import Foundation

/// Reads the lazily stored tensors of a model (an HDF5 dataset, or a permutation of one) on a
/// second thread, a few chunks ahead of the writer, so that reading and permuting one chunk
/// overlaps with checksumming, scanning and writing the one before: the conversion uses both
/// cores. Tensors already in memory or mapped are not its business (the writer reads them in
/// place, without a copy).
///
/// Memory is `depth` buffers of `chunkSize` bytes, allocated once and recycled. The writer
/// takes chunks in order with `next()`, hands each buffer back with `recycle(_:)`, and calls
/// `stop()` when done or failing; `stop()` returns only once the thread has let go of every
/// buffer.
final class ReadAhead: @unchecked Sendable {
    enum Item {
        /// The next `count` bytes of the current tensor, in `buffer`.
        case chunk(UnsafeMutableRawBufferPointer, count: Int)
        /// The current tensor is complete.
        case endOfTensor
        /// Reading the current tensor failed.
        case failure(any Error)
    }

    private let condition = NSCondition()
    private var ready: [Item] = []
    private var free: [UnsafeMutableRawBufferPointer]
    private var stopping = false
    private var running = true
    private let buffers: [UnsafeMutableRawBufferPointer]

    /// Starts reading `sources` (in order) at once.
    init(sources: [any TensorSource], chunkSize: Int, depth: Int = 3) {
        buffers = (0..<depth).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64) }
        free = buffers
        let thread = Thread { [self] in
            produce(sources, chunkSize: chunkSize)
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "bnconvert.read-ahead"
        thread.start()
    }

    deinit {
        buffers.forEach { $0.deallocate() }
    }

    private func produce(_ sources: [any TensorSource], chunkSize: Int) {
        for source in sources {
            var offset = 0
            while offset < source.byteCount {
                condition.lock()
                while free.isEmpty && !stopping { condition.wait() }
                if stopping {
                    condition.unlock()
                    return
                }
                let buffer = free.removeLast()
                condition.unlock()
                let count = min(chunkSize, source.byteCount - offset)
                let item: Item
                do {
                    try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), at: offset)
                    item = .chunk(buffer, count: count)
                } catch {
                    item = .failure(error)
                }
                condition.lock()
                ready.append(item)
                if case .failure = item { free.append(buffer) }
                condition.broadcast()
                condition.unlock()
                if case .failure = item { return }
                offset += count
            }
            condition.lock()
            ready.append(.endOfTensor)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next item, waiting for it if need be.
    func next() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty { condition.wait() }
        return ready.removeFirst()
    }

    /// Gives a chunk's buffer back for the thread to fill again.
    func recycle(_ buffer: UnsafeMutableRawBufferPointer) {
        condition.lock()
        free.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the thread and waits until it has finished with every buffer.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }
}
