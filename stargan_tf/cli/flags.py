"""Command-line flags. Names follow the official implementations wherever they have one."""

from absl import flags

MODES = ("train", "test", "export", "summary")

# ---- what to run ------------------------------------------------------------------------
flags.DEFINE_enum("model", "stargan", ["stargan", "ugatit", "cyclegan"], "Which system to train / use.")
flags.DEFINE_enum("mode", "train", MODES,
                  "train: train (resumes from --run_dir); test: translate --test_image_dir; export: write "
                  "SavedModel + TFLite; summary: print every network and its parameter count.")
flags.DEFINE_string("run_dir", None, "Run directory for checkpoints, logs, samples (default runs/<model>).")
flags.DEFINE_integer("seed", 0, "Seed of data order, augmentation and random draws in the train steps.")

# ---- data -------------------------------------------------------------------------------
flags.DEFINE_enum("dataset", "shapes", ["shapes", "CelebA", "RaFD", "Both", "folder"],
                  "shapes: the built-in procedural dataset (CPU preset). CelebA: attribute file + image "
                  "folder. RaFD: one sub-folder per class. Both: CelebA and RaFD jointly (StarGAN mask "
                  "vector). folder: trainA/trainB/testA/testB (U-GAT-IT, CycleGAN).")
flags.DEFINE_string("shapes_dir", "data/shapes", "Where the built-in dataset is written (once).")
flags.DEFINE_enum("shapes_pair", "circle2square", ["circle2square", "red2blue"],
                  "U-GAT-IT / CycleGAN on --dataset=shapes: the shape-changing or the colour/texture pair.")
flags.DEFINE_integer("shapes_num_images", 1200, "Number of images the built-in dataset generates.")
flags.DEFINE_string("celeba_image_dir", "data/celeba/images", "CelebA image folder.")
flags.DEFINE_string("attr_path", "data/celeba/list_attr_celeba.txt", "CelebA attribute file.")
flags.DEFINE_string("rafd_image_dir", "data/RaFD/train", "RaFD-style folder: one sub-folder per class.")
flags.DEFINE_string("data_dir", None, "Unpaired dataset root with trainA/ trainB/ testA/ testB/ (--dataset=folder).")
flags.DEFINE_list("selected_attrs", ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"],
                  "CelebA attributes to train on, in label order.")
flags.DEFINE_string("exclusive_attrs", "Black_Hair,Blond_Hair,Brown_Hair,Gray_Hair;Red_Shape,Green_Shape,Blue_Shape",
                    "Groups of mutually exclusive attributes (';' between groups, ',' within): a target sets "
                    "exactly one of a group, like the hair colours. Names not selected are ignored.")
flags.DEFINE_integer("celeba_crop_size", 178, "Center crop of CelebA images before resizing.")
flags.DEFINE_integer("rafd_crop_size", 256, "Center crop of RaFD images before resizing.")
flags.DEFINE_integer("image_size", 128, "Training image size (U-GAT-IT / CycleGAN default 256).")
flags.DEFINE_integer("batch_size", 16, "Global batch size, split across replicas (U-GAT-IT / CycleGAN default 1).")
flags.DEFINE_integer("load_size", None,
                     "U-GAT-IT / CycleGAN: training images are resized to this size, then randomly cropped to "
                     "--image_size (default image_size + 30: the official 286 for 256).")
flags.DEFINE_bool("cache", False, "Decode every training image once and keep it in memory.")

# ---- StarGAN (names as in yunjey/stargan) -----------------------------------------------
flags.DEFINE_integer("g_conv_dim", 64, "StarGAN: generator channels of the first layer.")
flags.DEFINE_integer("d_conv_dim", 64, "StarGAN: discriminator channels of the first layer.")
flags.DEFINE_integer("g_repeat_num", 6, "StarGAN: residual blocks in the generator.")
flags.DEFINE_integer("d_repeat_num", 6, "StarGAN: stride-2 convolutions in the discriminator.")
flags.DEFINE_float("lambda_cls", 1.0, "StarGAN: weight of the domain classification loss.")
flags.DEFINE_float("lambda_rec", 10.0, "StarGAN: weight of the reconstruction loss.")
flags.DEFINE_float("lambda_gp", 10.0, "StarGAN: weight of the gradient penalty.")
flags.DEFINE_integer("n_critic", 5, "StarGAN: D updates per G update.")
flags.DEFINE_float("g_lr", 1e-4, "StarGAN: generator learning rate.")
flags.DEFINE_float("d_lr", 1e-4, "StarGAN: discriminator learning rate.")
flags.DEFINE_float("beta1", 0.5, "Adam beta1.")
flags.DEFINE_float("beta2", 0.999, "Adam beta2.")
flags.DEFINE_integer("num_iters_decay", 100000, "StarGAN: iterations of linear lr decay to 0 at the end.")
flags.DEFINE_integer("lr_update_step", 1000, "StarGAN: the decayed lr changes every this many iterations.")
flags.DEFINE_list("target_attrs", None, "Test mode: translate only to these targets (default: all selected).")

# ---- U-GAT-IT / CycleGAN ------------------------------------------------------------------
flags.DEFINE_bool("light", False, "U-GAT-IT: light variant (gamma/beta MLP on pooled features).")
flags.DEFINE_integer("ch", 64, "U-GAT-IT / CycleGAN: base channel count (ngf / ndf).")
flags.DEFINE_integer("n_res", 4, "U-GAT-IT: residual blocks (4); CycleGAN: generator blocks (default 9).")
flags.DEFINE_integer("global_n_layers", 7, "U-GAT-IT: layers of the global discriminators (needs image_size >= 128).")
flags.DEFINE_integer("local_n_layers", 5, "U-GAT-IT: layers of the local discriminators.")
flags.DEFINE_float("lambda_identity", 0.5, "CycleGAN: identity loss weight as a fraction of --cycle_weight.")
flags.DEFINE_enum("direction", "both", ["a2b", "b2a", "both"],
                  "U-GAT-IT / CycleGAN test mode: translate your images A->B, B->A, or both.")
flags.DEFINE_float("lr", None, "U-GAT-IT (1e-4) / CycleGAN (2e-4) learning rate.")
flags.DEFINE_float("weight_decay", 1e-4, "U-GAT-IT: Adam weight decay.")
flags.DEFINE_float("adv_weight", 1.0, "U-GAT-IT: adversarial loss weight.")
flags.DEFINE_float("cycle_weight", 10.0, "U-GAT-IT / CycleGAN: cycle loss weight.")
flags.DEFINE_float("identity_weight", 10.0, "U-GAT-IT: identity loss weight (CycleGAN: 0.5 x cycle).")
flags.DEFINE_float("cam_weight", 1000.0, "U-GAT-IT: CAM loss weight.")
flags.DEFINE_integer("pool_size", 50, "CycleGAN: image pool of generated images.")

# ---- schedule, logging, checkpoints ---------------------------------------------------------
flags.DEFINE_integer("num_iters", 200000,
                     "Training iterations (StarGAN: D iterations; U-GAT-IT default 1000000, CycleGAN 200000).")
flags.DEFINE_integer("log_step", 10, "TensorBoard scalars every this many iterations.")
flags.DEFINE_integer("sample_step", 1000, "Sample grid every this many iterations.")
flags.DEFINE_integer("model_save_step", 10000, "Checkpoint every this many iterations.")
flags.DEFINE_integer("keep_checkpoints", 3, "How many recent checkpoints to keep.")
flags.DEFINE_bool("export_after_train", True, "Export SavedModel + TFLite when training finishes.")

# ---- test / export --------------------------------------------------------------------------
flags.DEFINE_string("test_image_dir", None,
                    "Test mode: folder of your images (any size; JPEG/PNG; RGB, RGBA or grayscale). "
                    "Default: the dataset's test images.")
flags.DEFINE_string("result_dir", None, "Test mode output folder (default <run_dir>/results).")
flags.DEFINE_string("export_dir", None, "Export root in TF Serving layout (default <run_dir>/export).")
flags.DEFINE_integer("export_version", None, "Export version number (default: next free one).")
flags.DEFINE_list("tflite_quantization", ["float32", "float16", "dynamic_int8"], "TFLite files to write.")

# ---- scale --------------------------------------------------------------------------------------
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multi_worker", "tpu"],
                  "tf.distribute strategy (multi_worker reads TF_CONFIG; tpu is untested here).")
flags.DEFINE_integer("num_cpu_devices", 1, "Split the CPU into this many logical devices (try mirrored without GPUs).")
flags.DEFINE_enum("mixed_precision", "none", ["none", "mixed_float16", "mixed_bfloat16"], "Keras mixed precision policy.")
flags.DEFINE_bool("jit_compile", False, "Compile the train steps with XLA.")

FLAGS = flags.FLAGS
