// Python expressions the Blender add-on evaluates to fill a setting in from the open scene (the
// `eval` of a setting, see AddonHints). Names available to them in the add-on: C (the context),
// bpy, Path, abspath, last_n_dir_parts, jobname and settings (the other settings).
import type { AddonHints } from './types';

export const SCENE_EVAL = {
  /** The scene's frame range, which the artist may switch off and type a range instead. */
  frames: { eval: "f'{C.scene.frame_start}-{C.scene.frame_end}'", evalInfo: { showLinkButton: true, description: 'the frame range of the scene' } },
  fps: { eval: 'C.scene.render.fps / C.scene.render.fps_base' },
  format: { eval: 'C.scene.render.image_settings.file_format' },
  fileExtension: { eval: 'C.scene.render.file_extension' },
  /**
   * The scene's output folder with a folder per job name: a suggestion the artist can edit. The
   * scene's path is a folder when it ends in a separator (`//frames/`), else a folder and a file
   * name prefix (`//frames/######`); with one more character appended both are a file in that
   * folder, and `.parent` is the folder. (`abspath` gives a Path, which drops a final separator.)
   */
  renderOutput: { eval: "str(abspath(C.scene.render.filepath + '_').parent / jobname / '######')", subtype: 'file_path' },
  cyclesSamples: { eval: 'C.scene.cycles.samples' },
} satisfies Record<string, AddonHints>;
