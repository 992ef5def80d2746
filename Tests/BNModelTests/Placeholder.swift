import Testing
@testable import BNModel
