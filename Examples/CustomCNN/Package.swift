// swift-tools-version:6.0
// A program with a network of its own, trained by scpl-swift with every run feature of
// `scpl train` (docs/library.md walks through it). It depends on the framework by path; a
// program elsewhere names the repository and a version instead:
//   .package(url: "https://…/scpl-swift.git", from: "0.2.0")
import PackageDescription

let package = Package(
  name: "CustomCNN",
  dependencies: [
    .package(name: "scpl-swift", path: "../.."),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .executableTarget(
      name: "CustomCNN",
      dependencies: [
        .product(name: "SCPL", package: "scpl-swift"), .product(name: "SCPLCLI", package: "scpl-swift"),
        .product(name: "NN", package: "scpl-swift"), .product(name: "Torch", package: "scpl-swift"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ])
  ],
  swiftLanguageModes: [.v5]
)
