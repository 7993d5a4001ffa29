import Foundation

@testable import SCPL

/// A trainer of `config` on `data` writing into the run folder at `url`, silent (no log, no live
/// progress line): a new folder with its config.json, or, given `resume`, the folder opened for
/// resuming from that point.
func quietTrainer(_ config: TrainConfig, _ data: LoadedData, at url: URL, resume: Trainer.ResumePoint? = nil) throws
  -> Trainer
{
  let folder = resume == nil ? try RunFolder(url) : try RunFolder(resuming: url)
  if resume == nil { try folder.writeConfig(["config": config]) }
  let t = Trainer(config: config, data: data, folder: folder)
  t.log = { _ in }
  t.progress = ProgressLine(live: false)
  t.resume = resume
  return t
}
