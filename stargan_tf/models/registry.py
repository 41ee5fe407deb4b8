"""Every system the command line knows, by ``--model`` name. Adding a system adds one
line here (its ``SPEC``) and touches nothing else outside its package."""

from stargan_tf.models import contextual_gan, cyclegan, drit, sagan, stargan, ugatit

REGISTRY = {spec.name: spec for spec in (stargan.SPEC, ugatit.SPEC, cyclegan.SPEC, drit.SPEC, sagan.SPEC,
                                        contextual_gan.SPEC)}
