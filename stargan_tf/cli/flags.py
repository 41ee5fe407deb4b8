"""Command-line flags: the common ones here, each system's from its configuration
(``config_flags``). Names follow the official implementations wherever they have one."""

from absl import flags

from stargan_tf.cli.config_flags import define_config_flags
from stargan_tf.models.registry import REGISTRY

MODES = ("train", "test", "export", "summary", "sketch", "eval", "train_classifier", "import")

# ---- what to run ------------------------------------------------------------------------
flags.DEFINE_enum("model", "stargan", sorted(REGISTRY), "Which system to train / use.")
flags.DEFINE_enum("mode", "train", MODES,
                  "train: train (resumes from --run_dir); test: translate --test_image_dir; export: write "
                  "SavedModel + TFLite; summary: print every network and its parameter count; sketch: draw the "
                  "XDoG sketches of --test_image_dir's photos into --result_dir (systems that read sketches); eval: the "
                  "papers' metrics of the latest checkpoint on the test split (README, Evaluation); "
                  "train_classifier: (re)train the run's attribute / domain classifier that eval uses; import: the "
                  "official PyTorch checkpoints of --torch_checkpoint into a new --run_dir.")
flags.DEFINE_string("run_dir", None, "Run directory for checkpoints, logs, samples (default runs/<model>).")

# ---- checkpoints and training ----------------------------------------------------------------
flags.DEFINE_integer("keep_checkpoints", 3, "How many recent checkpoints to keep.", lower_bound=1)
flags.DEFINE_bool("export_after_train", True, "Export SavedModel + TFLite when training finishes.")
flags.DEFINE_string("init_run_dir", None,
                    "Start a new run from the networks of another run's latest checkpoint (fine-tuning, e.g. on "
                    "other data; the networks must have the same sizes): optimizer state and iteration count start "
                    "afresh. Ignored when --run_dir already has a checkpoint (training resumes from it).")

# ---- test / export --------------------------------------------------------------------------
flags.DEFINE_string("test_image_dir", None,
                    "Test mode: your images: a folder, one file, or a quoted pattern ('photos/*.jpg'; any size; "
                    "JPEG/PNG/GIF/BMP/WEBP; RGB, RGBA or grayscale); eval: the images to translate, with "
                    "--eval_real_dir.")
flags.DEFINE_string("result_dir", None, "Test mode output folder (default <run_dir>/results).")
flags.DEFINE_string("export_dir", None, "Export root in TF Serving layout (default <run_dir>/export).")
flags.DEFINE_string("export_model_name", None,
                    "TF Serving model name of the export (default <model>_<data>, e.g. stargan_shapes, "
                    "cyclegan_horse2zebra: runs on different data never become versions of one model).")
flags.DEFINE_integer("export_version", None, "Export version number (default: next free one).", lower_bound=1)
flags.DEFINE_list("tflite_quantization", ["float32", "float16", "dynamic_int8"], "TFLite files to write.")

flags.DEFINE_list("torch_checkpoint", None,
                  "Import: the reference code's checkpoint files, comma-separated, named as it saves them "
                  "(StarGAN: <iteration>-G.ckpt,<iteration>-D.ckpt).")

# ---- evaluation ------------------------------------------------------------------------------
flags.DEFINE_string("eval_real_dir", None,
                    "Eval: real images of the target domain, to score the translations of --test_image_dir "
                    "(your own folders) instead of the run's test split.")
flags.DEFINE_enum("fid_network", "auto", ["auto", "classifier", "inception_tfgan", "inception_keras"],
                  "Features of FID / KID. inception_tfgan: the TF-GAN / TTUR FID Inception from --inception_path "
                  "(the numbers papers report); inception_keras: Keras' ImageNet InceptionV3 (downloaded once, or "
                  "its .h5 at --inception_path); classifier: the run's own classifier (offline; domain-specific "
                  "numbers, not comparable with Inception ones); auto: inception_tfgan when --inception_path is "
                  "given, else classifier.")
flags.DEFINE_string("inception_path", None,
                    "The FID Inception: classify_image_graph_def.pb or the tfgan/eval/inception/1 SavedModel folder "
                    "(README, Evaluation, says where to get them); with inception_keras, a weights .h5 file.")
flags.DEFINE_list("lpips_weights", None,
                  "Eval: LPIPS for the diversity of systems with random codes (DRIT), from two PyTorch files: the "
                  "lpips package's weights/v0.1/alex.pth and torchvision's alexnet-owt-7be5be79.pth (README, "
                  "Evaluation). Without them the diversity is a feature distance only.")
flags.DEFINE_integer("eval_step", 0,
                     "Evaluate (as --mode=eval) every this many training iterations, on the chief, on "
                     "--eval_num_images images per target; 0: never.", lower_bound=0)
flags.DEFINE_integer("eval_num_images", 0, "Test images translated per target domain (0: all of them).",
                     lower_bound=0)
flags.DEFINE_integer("kid_block_size", 10,
                     "KID's block size: the sets are cut into blocks of at most this many images and the "
                     "unbiased estimate averaged over blocks (TF-GAN's estimator, which U-GAT-IT reports).",
                     lower_bound=2)
flags.DEFINE_string("eval_cache_dir", None,
                    "Cache of real-image features (default ~/.cache/stargan_tf/eval).")
flags.DEFINE_integer("classifier_width", 0,
                     "Channels of the classifier's first stage (64: ResNet-18; 0: 16 on the built-in data, else 64).",
                     lower_bound=0)
flags.DEFINE_integer("classifier_steps", 0,
                     "Training steps of the classifier (batch 32; 0: 300 on the built-in data, else 5000).",
                     lower_bound=0)

# ---- scale --------------------------------------------------------------------------------------
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multi_worker", "tpu"],
                  "tf.distribute strategy (multi_worker reads TF_CONFIG; tpu is untested here).")
flags.DEFINE_integer("num_cpu_devices", 1, "Split the CPU into this many logical devices (try mirrored without GPUs).",
                     lower_bound=1)
flags.DEFINE_enum("mixed_precision", "none", ["none", "mixed_float16", "mixed_bfloat16"],
                  "Keras mixed precision policy. mixed_float16: for GPUs (adds dynamic loss scaling); CPUs have no "
                  "float16 arithmetic (StarGAN's iteration 6.5x slower). mixed_bfloat16: on CPUs with AVX-512 BF16 "
                  "or AMX 1.7x faster than float32 (StarGAN, AMD EPYC Zen 4), without them 4 to 7 times slower. "
                  "README, Benchmarks.")
flags.DEFINE_bool("jit_compile", False,
                  "Compile the train steps with XLA: for GPUs; on CPUs TensorFlow's oneDNN kernels are faster "
                  "(StarGAN's iteration 1.3x slower with XLA on an AMD EPYC). README, Benchmarks.")

# ---- each system's configuration ----------------------------------------------------------------
CONFIG_FLAGS = define_config_flags(REGISTRY.values())

FLAGS = flags.FLAGS
