"""The Android family (DESIGN.md section 6, Android control stubs), in progress: an emulator-free phone
(`device`: UI tree, taps, swipes, typing, back/home/enter; `rendering`: Pillow screens) running apps
defined as data (`apps`: assets/android/apps/*.json). AitW's action matching is envsuite.metrics.action_matching.
"""
