// swift-tools-version:6.0
// A text model of its own on a CSV file of its own, trained with DeInfoReg's objective by
// scpl-swift with every run feature of `scpl train`. It depends on the framework by path; a
// program elsewhere names the repository and a version instead:
//   .package(url: "https://…/scpl-swift.git", from: "0.2.0")
import PackageDescription

let package = Package(
  name: "TextCSV",
  dependencies: [
    .package(name: "scpl-swift", path: "../.."),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .executableTarget(
      name: "TextCSV",
      dependencies: [
        .product(name: "SCPL", package: "scpl-swift"), .product(name: "SCPLCLI", package: "scpl-swift"),
        .product(name: "NN", package: "scpl-swift"), .product(name: "Torch", package: "scpl-swift"),
        .product(name: "Data", package: "scpl-swift"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ])
  ],
  swiftLanguageModes: [.v5]
)
