/// The cost of one stage (one component on its own device), in any time unit.
///
/// `forward`, `backward` and `transfer` are per **micro-batch**; a schedule that runs the whole
/// mini-batch at once pays M times them. `loss` and `update` are per **mini-batch**. `transfer` is
/// the cost of moving one micro-batch's activation from this stage's device to the next one (the
/// last stage's transfer is never used); NMP and GPipe pay it again to send the gradient back.
/// `allreduce` is the time to send the stage's gradients once over a replica's link (their bytes
/// over its bandwidth): with R replicas (`Setup.replicas`) a ring all-reduce sends 2(R−1)/R of
/// that, once per mini-batch, after the stage's backward and before its update.
public struct StageCosts: Codable, Equatable, Sendable {
  /// One micro-batch's forward.
  public var forward: Double
  /// The local loss, per mini-batch.
  public var loss: Double
  /// One micro-batch's backward.
  public var backward: Double
  /// The optimizer update, per mini-batch.
  public var update: Double
  /// Moving one micro-batch's activation to the next stage's device.
  public var transfer: Double
  /// Sending the stage's gradients once over a replica's link (0: none, or one replica).
  public var allreduce: Double = 0

  /// The stage's costs, with no transfer cost unless given.
  public init(
    forward: Double, loss: Double, backward: Double, update: Double, transfer: Double = 0, allreduce: Double = 0
  ) {
    self.forward = forward
    self.loss = loss
    self.backward = backward
    self.update = update
    self.transfer = transfer
    self.allreduce = allreduce
  }

  /// The six costs by name, in file order.
  public static let keys = ["forward", "loss", "backward", "update", "transfer", "allreduce"]

  /// The six costs in `keys` order.
  public var values: [Double] { [forward, loss, backward, update, transfer, allreduce] }

  /// Forward 1, loss 1, backward 2, update 1, transfer 0: the costs used when none are given.
  public static let unit = StageCosts(forward: 1, loss: 1, backward: 2, update: 1, transfer: 0)
}
