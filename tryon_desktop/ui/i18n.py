"""English and Simplified Chinese strings: a plain table, no lrelease toolchain.

`tr(key, **args)` looks the key up in the current language and fills `{placeholders}`; a key missing
from a language falls back to English, and an unknown key shows itself (so a gap is visible, not fatal).
"""

from __future__ import annotations

import locale
import logging
from pathlib import Path

log = logging.getLogger(__name__)

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
_current = "en"

# key: (English, Simplified Chinese)
STRINGS: dict[str, tuple[str, str]] = {
    # ends with the application display name ("Tryon Desktop"), so Qt does not append it a second time
    "app_title": ("Live lipstick try-on — Tryon Desktop", "实时试妆 — Tryon Desktop"),
    "source": ("Source", "视频源"),
    "resolution": ("Resolution", "分辨率"),
    "resolution_tip": ("Capture size for cameras and the demo (files keep their own size)",
                       "摄像头和演示画面的采集尺寸（文件保持原尺寸）"),
    "demo_source": ("Demo (built-in photo)", "演示（内置照片）"),
    "open_file": ("Open video or image", "打开视频或图片"),
    "media_filter": ("Videos and images", "视频和图片"),
    "starting": ("Starting…", "正在启动…"),
    "before": ("Before", "原图"),
    "after": ("After", "试妆"),
    "hud_fps": ("fps", "帧/秒"),
    "hud_ms": ("ms", "毫秒"),
    "hud_latency": ("latency {med} ms · p95 {p95} ms", "延迟 {med} 毫秒 · p95 {p95} 毫秒"),
    "stage_track": ("track", "跟踪"),
    "stage_align": ("align", "对齐"),
    "stage_generate": ("generate", "生成"),
    "stage_blend": ("blend", "融合"),
    "stage_garment": ("garment mask", "服装分割"),
    "effect_lipstick": ("lipstick", "口红"),
    "effect_outfit": ("outfit", "服装"),
    "hud_no_garment": ("Outfit: no garment found", "服装：未找到上衣"),
    "mask_overlay": ("Garment mask overlay", "显示服装区域"),
    "hud_provider": ("{renderer} on {provider}", "{renderer} · 运行于 {provider}"),
    "renderer_gan": ("generator model", "生成模型"),
    "renderer_reference": ("reference renderer", "参考渲染器"),
    "renderer_none": ("no make-up", "未上妆"),
    "renderer_unknown": ("unknown renderer", "未知渲染器"),
    "hud_reference_notice": ("No generator model installed: showing the reference renderer",
                             "未安装生成模型：当前使用参考渲染器"),
    "hud_no_face": ("No face in view", "画面中没有人脸"),
    "hud_engine_error": ("Engine error: showing the unprocessed frame", "引擎出错：显示未处理的画面"),
    "tab_lipstick": ("Lipstick", "口红"),
    "finish": ("Finish", "质地"),
    "opacity": ("Opacity", "浓度"),
    "tag_yours": ("yours", "自选"),
    "tag_shades": ("shade's own", "色号原设"),
    "tag_yours_tip": ("You set this by hand: it stays when you pick another shade, until you press "
                      "“Reset to shade's”.", "这是您手动设置的：换色号时保留，直到点击“恢复色号原设”。"),
    "tag_shades_tip": ("The picked shade's own value: it changes with the shade.", "所选色号自带的设置：随色号改变。"),
    "shade_own": ("Reset to shade's", "恢复色号原设"),
    "shade_own_tip": ("Forget the finish and opacity you set by hand and use each shade's own",
                      "放弃手动设置的质地和浓度，使用每个色号自带的设置"),
    "shade_own_values": ("{name}: {finish} · {opacity}%", "{name}：{finish} · {opacity}%"),
    "custom_colour": ("Custom colour…", "自定义颜色…"),
    "custom_colour_title": ("Choose a lipstick colour", "选择口红颜色"),
    "bare_lips": ("Bare lips", "素颜"),
    "bare_detail": ("No lipstick", "不涂口红"),
    "favourite": ("Add to or remove from favourites", "加入或移出收藏"),
    "favourite_tip": ("Favourite this shade (F)", "收藏此色号（F）"),
    "favourites": ("Favourites", "收藏"),
    "jump_to_family_tip": ("Scroll to {family}", "跳到{family}"),
    "snapshot": ("Snapshot", "拍照"),
    "record": ("Record", "录像"),
    "stop_recording": ("Stop", "停止"),
    "rec": ("REC", "录制中"),
    "recent_snapshots": ("Recent snapshots", "最近的照片"),
    "no_snapshots": ("No snapshots yet: press S or the Snapshot button.", "还没有照片：按 S 键或点击“拍照”。"),
    "open_folder": ("Open folder", "打开文件夹"),
    "choose_folder": ("Choose snapshot folder…", "选择保存文件夹…"),
    "folder_set": ("Snapshots will be saved in {folder}", "照片将保存到 {folder}"),
    "folder_is_file": ("Cannot save snapshots in {folder}: it is a file, not a folder. Saving in {kept}.",
                       "无法将照片保存到 {folder}：这是一个文件，不是文件夹。照片将保存到 {kept}。"),
    "folder_not_writable": ("Cannot save snapshots in {folder}: you have no permission to write there. "
                            "Saving in {kept}.", "无法将照片保存到 {folder}：没有写入权限。照片将保存到 {kept}。"),
    "folder_cannot_create": ("Cannot save snapshots in {folder}: the folder cannot be created (a file is in "
                             "the way or you have no permission). Saving in {kept}.",
                             "无法将照片保存到 {folder}：无法创建该文件夹（路径中有同名文件或没有权限）。"
                             "照片将保存到 {kept}。"),
    "folder_missing": ("The snapshot folder {folder} does not exist yet: take a snapshot first.",
                       "保存文件夹 {folder} 尚不存在：请先拍一张照片。"),
    "quit": ("Quit", "退出"),
    "mirror": ("Mirror", "镜像"),
    "mirror_saves": ("Mirror snapshots and videos too", "照片和录像也镜像保存"),
    "before_after": ("Before / after", "前后对比"),
    "hud": ("Stats overlay", "性能信息"),
    "zoom": ("Lips close-up", "唇部特写"),
    "zoom_tag": ("Lips ×{factor}", "唇部 ×{factor}"),
    "fullscreen": ("Full screen", "全屏"),
    "next_shade": ("Next shade", "下一个色号"),
    "prev_shade": ("Previous shade", "上一个色号"),
    "more_opacity": ("More opacity", "增加浓度"),
    "less_opacity": ("Less opacity", "降低浓度"),
    "shortcuts": ("Keyboard shortcuts", "键盘快捷键"),
    "about": ("About", "关于"),
    "about_text": ("<b>Tryon Desktop</b> {version}<br>Live virtual lipstick try-on on your own computer.<br>"
                   "Frames never leave this machine; nothing is saved unless you ask.",
                   "<b>Tryon Desktop</b> {version}<br>在本机上实时虚拟试口红。<br>"
                   "画面不会离开这台电脑；除非您要求，否则不保存任何内容。"),
    "about_models": ("The models shipped with this copy, and what they were trained on (the notes are quoted "
                     "from each model's manifest):", "本程序随附的模型及其训练数据（说明引自各模型的清单文件，为英文原文）："),
    "about_not_commercial": ("Because of their training data, these models are for research and evaluation "
                             "only: <b>not for commercial use</b>.",
                             "由于训练数据的授权限制，这些模型仅供研究和评估使用，<b>不得用于商业用途</b>。"),
    "about_no_note": ("no note on its training data", "无训练数据说明"),
    "about_no_models": ("No models are installed: the reference renderer draws the lipstick.",
                        "未安装任何模型：由参考渲染器绘制口红。"),
    "menu_file": ("&File", "文件(&F)"),
    "menu_look": ("&Look", "妆容(&L)"),
    "menu_view": ("&View", "视图(&V)"),
    "menu_help": ("&Help", "帮助(&H)"),
    "language": ("Language", "语言"),
    "status_engine": ("{renderer} · {provider}", "{renderer} · {provider}"),
    "engine_starting": ("Engine starting…", "引擎启动中…"),
    "snapshot_saved": ("Saved {name} in {folder}", "已保存 {name}（位于 {folder}）"),
    "snapshot_failed": ("Snapshot not saved: {error}", "照片未保存：{error}"),
    "nothing_to_save": ("Nothing to save yet: wait for the picture to appear.", "还没有可保存的画面，请稍候。"),
    "recording_started": ("Recording at {fps} fps…", "正在以 {fps} 帧/秒录制…"),
    "recording_saved": ("Saved {name} ({frames} frames)", "已保存 {name}（{frames} 帧）"),
    "recording_failed": ("Recording not saved: {error}", "录像未保存：{error}"),
    "no_camera": ("No camera found. Showing the built-in demo photo instead; open a video or image from the "
                  "Source menu.", "未找到摄像头。正在显示内置演示照片；也可以从“视频源”打开视频或图片。"),
    "camera_unavailable_demo": ("{name} cannot be opened (unplugged or used by another app). Showing the demo "
                                "instead.", "无法打开 {name}（未连接或被其他程序占用）。改为显示演示画面。"),
    "camera_lost": ("{name} stopped sending pictures. Reconnecting…", "{name} 已停止传输画面，正在重新连接…"),
    "camera_reconnecting": ("Still trying to reconnect to {name} (attempt {attempt})…",
                            "仍在尝试重新连接 {name}（第 {attempt} 次）…"),
    "camera_back": ("{name} is back.", "{name} 已恢复。"),
    "source_failed": ("Cannot open {name}: {error}. Showing the demo instead.",
                      "无法打开 {name}：{error}。改为显示演示画面。"),
    "source_ended": ("{name} stopped delivering frames. Showing the demo instead.",
                     "{name} 不再输出画面。改为显示演示画面。"),
    "capture_crashed": ("The video source failed ({error}). Showing the demo instead.",
                        "视频源出错（{error}）。改为显示演示画面。"),
    "engine_failed": ("The try-on engine could not start ({error}); showing the plain picture.",
                      "试妆引擎无法启动（{error}）；显示原始画面。"),
    "worker_error": ("The try-on engine failed on a frame ({error}); it keeps going.",
                     "试妆引擎处理某一帧时出错（{error}）；将继续运行。"),
    "reference_notice": ("No lipstick generator model is installed, so the reference renderer is drawing the "
                         "lipstick.", "未安装口红生成模型，当前由参考渲染器绘制口红。"),
    "outfit_catalogue_bad": ("Some outfit swatches were left out: {detail}.",
                             "部分服装样式未能载入，已略过：{detail}。"),
    "custom_swatches_bad": ("Some of your own outfit swatches could not be read: {detail}.",
                            "部分自制服装样式无法读取：{detail}。"),
    "garment_notice": ("Outfits and the garment mask overlay are off: {detail}.",
                       "服装换色和服装区域显示已关闭：{detail}。"),
    # finishes
    "finish_matte": ("Matte", "哑光"),
    "finish_satin": ("Satin", "缎光"),
    "finish_gloss": ("Gloss", "亮泽"),
    "finish_shimmer": ("Shimmer", "珠光"),
    # shade families
    # swatch from a garment photo (ui/garment_swatch_dialog.py)
    "swatch_title": ("New outfit swatch from a photo", "用服装照片新建服装色板"),
    "swatch_open": ("Open photo…", "打开照片…"),
    "swatch_filter": ("Images", "图片"),
    "swatch_hint": ("Drop a photo of a garment here, or open one: a shop photo on a plain light background, "
                    "or a photo of someone wearing it.",
                    "把服装照片拖到这里，或点击“打开照片”：纯浅色背景的商品图，或有人穿着它的照片。"),
    "swatch_finding": ("Looking for the garment…", "正在查找服装…"),
    "swatch_found_product": ("Found a garment on its own.", "找到一件单独拍摄的服装。"),
    "swatch_found_worn": ("Found a garment being worn.", "找到一件穿在身上的服装。"),
    "swatch_look_for": ("Look for", "查找"),
    "swatch_how_auto": ("Either (automatic)", "自动判断"),
    "swatch_how_product": ("A garment on its own", "单独的服装"),
    "swatch_how_worn": ("A garment being worn", "穿在身上的服装"),
    "swatch_name": ("Name", "名称"),
    "swatch_use_colour": ("Use the colour", "使用颜色"),
    "swatch_use_fabric": ("Use the fabric", "使用面料"),
    "swatch_colour": ("Colour {hex}", "颜色 {hex}"),
    "swatch_fabric": ("Fabric: one repeat is {pct}% of the shoulder width", "面料：一个图案单元为肩宽的 {pct}%"),
    "swatch_crop_tip": ("Drag the square onto the fabric you want; resize it with the mouse wheel or its corner "
                        "handle (arrow keys move it, + and − resize it).",
                        "把方框拖到想要的面料上；用鼠标滚轮或右下角的手柄调整大小（方向键移动，+ 和 − 调整大小）。"),
    "swatch_save": ("Save swatch", "保存色板"),
    "swatch_cancel": ("Cancel", "取消"),
    "swatch_error_open": ("Cannot use {name}: {error}", "无法使用 {name}：{error}"),
    "swatch_error_none": ("No garment found in {name}. Use a photo of one garment on a plain light background, "
                          "or of a person wearing it. ({error})",
                          "在 {name} 中没有找到服装。请使用纯浅色背景上单件服装的照片，或有人穿着它的照片。（{error}）"),
    "swatch_error_save": ("The swatch was not saved: {error}", "色板未保存：{error}"),
    "swatch_error_name": ("Give the swatch a name.", "请为色板命名。"),
    "swatch_error_drop": ("Drop one image file.", "请拖入一个图片文件。"),
    "family_nude": ("Nudes", "裸色系"),
    "family_pink": ("Pinks", "粉色系"),
    "family_red": ("Reds", "红色系"),
    "family_berry": ("Berries", "莓果色系"),
    "family_coral": ("Corals", "珊瑚色系"),
    "family_brown": ("Browns", "棕色系"),
    "family_plum": ("Plums", "梅子色系"),
    "family_fashion": ("Fashion", "时尚色系"),
    "family_custom": ("Custom", "自定义"),
    # the outfit tab
    "tab_outfit": ("Outfit", "服装"),
    "strength": ("Strength", "强度"),
    "pattern": ("Pattern", "图案"),
    "pattern_scale": ("Scale", "大小"),
    "pattern_rotation": ("Rotation", "角度"),
    "pattern_scale_tip": ("The pattern's repeat, as a multiple of the swatch's own (patterns only)",
                          "图案单元的大小，为该样式原设大小的倍数（仅适用于图案）"),
    "pattern_rotation_tip": ("The pattern's angle, in degrees (patterns only)", "图案的角度，单位为度（仅适用于图案）"),
    "tag_swatch": ("swatch's own", "样式原设"),
    "tag_swatch_tip": ("The picked swatch's own value: it changes with the swatch.", "所选样式自带的设置：随样式改变。"),
    "tag_yours_outfit_tip": ("You set this by hand: it stays when you pick another swatch, until you press "
                             "“Reset to swatch's”.", "这是您手动设置的：换样式时保留，直到点击“恢复样式原设”。"),
    "swatch_own": ("Reset to swatch's", "恢复样式原设"),
    "swatch_own_tip": ("Forget the strength, scale and rotation you set by hand and use each swatch's own",
                       "放弃手动设置的强度、大小和角度，使用每个样式自带的设置"),
    "own_values": ("{name}: {detail}", "{name}：{detail}"),
    "no_outfit": ("No outfit change", "不换装"),
    "no_outfit_detail": ("The garment as the camera sees it", "保持镜头中衣服的原样"),
    "outfit_custom_title": ("Choose an outfit colour", "选择服装颜色"),
    "outfit_from_photo": ("From a garment photo…", "从服装照片…"),
    "outfit_from_photo_tip": ("Make a swatch from a photo of a garment or a fabric", "用衣服或面料的照片制作样式"),
    "mask_toggle": ("Show garment mask", "显示服装区域"),
    "body_fill": ("Whole garment", "完整服装"),
    "body_fill_tip": ("Complete the garment from your body's outline, where the live garment mask missed part "
                      "of it (a jacket's far side, a shirt under a collar). Off: a little faster (W)",
                      "根据身体轮廓补全实时服装区域漏掉的部分（外套的另一侧、领口下的衬衫）。关闭后速度稍快（W）"),
    "body_fill_off_here": ("Whole garment is not available here: this mediapipe has no person mask",
                           "此处无法使用完整服装：当前 mediapipe 没有人像分割"),
    "outfit_favourite_tip": ("Favourite this outfit (F)", "收藏此服装（F）"),
    "look_lipstick": ("Lipstick: {name}", "口红：{name}"),
    "look_outfit": ("Outfit: {name}", "服装：{name}"),
    "look_other_tip": ("The rest of the look: click to change it", "妆容的其余部分：点击即可更改"),
    "next_outfit": ("Next outfit", "下一个服装样式"),
    "prev_outfit": ("Previous outfit", "上一个服装样式"),
    "more_strength": ("More strength", "增加强度"),
    "less_strength": ("Less strength", "降低强度"),
    # outfit families
    "family_neutral": ("Neutrals", "中性色"),
    "family_dark": ("Darks", "深色"),
    "family_bright": ("Brights", "亮色"),
    "family_pastel": ("Pastels", "浅淡色"),
    "family_denim": ("Denim", "牛仔色"),
    "family_stripes": ("Stripes", "条纹"),
    "family_checks": ("Checks", "格纹"),
    "family_prints": ("Prints", "印花"),
    "family_weaves": ("Weaves", "织纹"),
    # procedural patterns (render/patterns.py)
    "pattern_stripes": ("Stripes", "条纹"),
    "pattern_breton": ("Breton", "海魂纹"),
    "pattern_gingham": ("Gingham", "维希格"),
    "pattern_tartan": ("Tartan", "苏格兰格"),
    "pattern_houndstooth": ("Houndstooth", "千鸟格"),
    "pattern_dots": ("Dots", "波点"),
    "pattern_herringbone": ("Herringbone", "人字纹"),
    "pattern_denim": ("Denim twill", "牛仔斜纹"),
    "pattern_floral": ("Floral", "碎花"),
    "pattern_knit": ("Knit", "针织"),
    "pattern_pinstripe": ("Pinstripe", "细条纹"),
}

# Shade names from the shipped catalogue; a name not listed (a custom colour) shows as it is.
SHADE_NAMES_ZH = {
    "Bare Linen": "亚麻裸", "Warm Taupe": "暖灰褐", "Rose Nude": "玫瑰裸", "Caramel Nude": "焦糖裸",
    "Ballet Pink": "芭蕾粉", "Peony": "牡丹", "Hot Pink": "亮粉", "Dusty Rose": "豆沙玫瑰",
    "Classic Red": "经典正红", "Ruby Velvet": "丝绒宝石红", "Cherry Gloss": "樱桃亮泽", "Brick Red": "砖红",
    "Raspberry": "覆盆子", "Black Cherry": "黑樱桃", "Mulberry": "桑葚", "Coral Reef": "珊瑚礁",
    "Peach Coral": "蜜桃珊瑚", "Tangerine": "橘色", "Cinnamon": "肉桂", "Mocha": "摩卡",
    "Chestnut Shimmer": "栗色珠光", "Plum": "梅子", "Deep Aubergine": "深茄紫", "Orchid Shimmer": "兰花珠光",
    "Onyx Black": "玛瑙黑", "Electric Blue": "电光蓝", "Lilac Haze": "丁香雾紫", "Emerald": "祖母绿",
}

# Outfit swatch names from the shipped outfit catalogue; a name not listed (a custom colour) shows as it is.
OUTFIT_NAMES_ZH = {
    "White": "白色", "Ivory": "象牙白", "Light Grey": "浅灰", "Stone": "石色", "Camel": "驼色",
    "Black": "黑色", "Charcoal": "炭灰", "Navy": "藏青", "Forest": "森林绿", "Burgundy": "酒红",
    "Chocolate": "巧克力色", "Olive": "橄榄绿", "Red": "红色", "Orange": "橙色", "Sunflower": "向日葵黄",
    "Kelly Green": "翠绿", "Cobalt": "钴蓝", "Fuchsia": "紫红", "Teal": "水鸭青", "Blush": "腮红粉",
    "Lavender": "薰衣草紫", "Mint": "薄荷绿", "Sky": "天蓝", "Butter": "奶油黄", "Peach": "蜜桃色",
    "Light Wash": "浅色水洗", "Mid Wash": "中色水洗", "Dark Wash": "深色水洗", "Chambray": "青年布",
    "Pinstripe": "细条纹", "Fine Stripe": "窄条纹", "Wide Stripe": "宽条纹", "Breton": "海魂条纹",
    "Gingham": "维希格", "Navy Gingham": "藏青维希格", "Tartan": "苏格兰格", "Houndstooth": "千鸟格",
    "Polka Dot": "波点", "Floral": "碎花", "Herringbone": "人字纹", "Denim Twill": "斜纹牛仔", "Knit": "针织",
}


def set_language(code: str) -> str:
    """Switch language ('en', 'zh_CN'; 'zh', 'zh-CN' and the like are accepted). Returns the code in use."""
    global _current
    c = str(code or "en").replace("-", "_")
    if c.lower().startswith("zh"):
        c = "zh_CN"
    elif c not in LANGUAGES:
        if c:
            log.info("language %r is not available; using English", code)
        c = "en"
    _current = c
    return c


_qt_translators: list = []


def install_qt_translations(code: str) -> bool:
    """Load Qt's own translations (standard dialog buttons, file and colour dialogs, key names such as
    Right/Left in shortcut lists) for `code`; English removes them. True when a translation was loaded."""
    from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

    app = QCoreApplication.instance()
    if app is None:
        return False
    for t in _qt_translators:
        app.removeTranslator(t)
    _qt_translators.clear()
    if code == "en":
        return False
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = False
    for name in ("qtbase",):
        t = QTranslator(app)
        if t.load(QLocale(code), name, "_", folder):
            app.installTranslator(t)
            _qt_translators.append(t)
            loaded = True
        else:
            log.info("Qt's %s translation for %s is not in %s: Qt's own dialogs stay in English", name, code, folder)
    return loaded


def language() -> str:
    return _current


def system_language() -> str:
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh_CN" if loc.lower().startswith("zh") else "en"


def tr(key: str, **args) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if _current == "zh_CN" and pair[1] else pair[0]
    if args:
        try:
            return text.format(**args)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def finish_name(finish) -> str:
    value = getattr(finish, "value", str(finish))
    return tr(f"finish_{value}")


def family_name(family: str) -> str:
    key = f"family_{family}"
    return tr(key) if key in STRINGS else family.title()


def shade_name(name: str) -> str:
    if _current == "zh_CN":
        return SHADE_NAMES_ZH.get(name, name)
    return name


def outfit_name(name: str) -> str:
    if _current == "zh_CN":
        return OUTFIT_NAMES_ZH.get(name, name)
    return name


def pattern_name(pattern: str) -> str:
    """A procedural pattern's name in the current language; a fabric image file by its file name."""
    key = f"pattern_{pattern}"
    if key in STRINGS:
        return tr(key)
    return Path(pattern).stem
